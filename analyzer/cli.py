"""The siganalyze command: argparse subcommands translated into API calls, one error path."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from analyzer import __version__
from analyzer.diff import ReportDiff, diff_reports
from analyzer.errors import ExitCode, SiganalyzeError, StrictError, UsageError
from analyzer.extract import PROJECTS
from analyzer.history import Timeline
from analyzer.model import Project, Report
from analyzer.progress import Progress
from analyzer.report import FORMATS, render
from analyzer.report import json as json_report
from analyzer.scan import RunStats, scan_many
from analyzer.sources import Source, looks_like_path, open_source

EPILOG = """\
examples:
  siganalyze scan v6.1                      every SIGNAL_UNKILLABLE site in a kernel clone's v6.1
  siganalyze diff v2.6.34 v6.1              what changed between two releases
  siganalyze diff v2.6.34 v6.1 --format json -o diff.json
  siganalyze scan linux-source-6.1.tar.xz   a source tarball, read without extracting
  siganalyze scan ~/src/linux               a plain directory
  siganalyze diff old.json v6.1             a saved scan report against a ref
  siganalyze history v2.6.26..v2.6.35       every site and fact across ten releases
  siganalyze history --tags 'v2.6.3*'       the same for the tags a glob matches (finals; --rc for -rc tags)
  siganalyze log v2.6.25..v2.6.36-rc3       the commits that changed the logic (git's range A..B)
  siganalyze scan v6.1 --repo ~/linux.git --strict
  siganalyze scan v257 --repo ~/systemd       PID 1's signal table of a systemd release
  siganalyze diff v247 v257 --repo ~/systemd  how that table changed

exit codes: 0 ok, 2 bad input (unknown ref, not a repo, invalid report),
3 --strict found occurrences it could not account for, or an internal error.
"""


def make_parser() -> argparse.ArgumentParser:
    """The argument parser with its subcommands."""
    parser = argparse.ArgumentParser(
        prog="siganalyze",
        description="Find where the kernel defines, sets, clears and tests SIGNAL_UNKILLABLE, which "
        "signals PID 1 (systemd, other C inits) handles, ignores or blocks, in any release, "
        "and what changed between releases.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"siganalyze {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--repo",
        metavar="PATH",
        help="git repository to read refs from (default: the one containing the current directory)",
    )
    common.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    common.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=_output_path,
        help="write to FILE (atomically) instead of standard output",
    )
    common.add_argument(
        "--track", action="append", metavar="IDENT", default=[], help="also track this identifier (repeatable)"
    )
    common.add_argument(
        "--strict", action="store_true", help="exit 3 when an occurrence is not accounted for or a site has no function"
    )
    common.add_argument(
        "--project",
        type=Project,
        choices=PROJECTS,
        help="what the tree is (default: detected: a kernel Makefile, meson.build of systemd, else another C init)",
    )
    common.add_argument(
        "--source-url",
        metavar="TEMPLATE",
        help="html links to the source: elixir, cgit, or a URL with {project} {ref} {commit} {path} {line}",
    )
    common.add_argument(
        "--remote",
        metavar="URL",
        help="with no --repo outside a clone: fetch the named tags from URL (default: the project's upstream)",
    )
    common.add_argument("--debug", action="store_true", help="show the traceback of internal errors")

    scan_cmd = _command(commands, common, "scan", "list every site in one release")
    scan_cmd.add_argument("spec", metavar="VERSION", help="git ref, source directory or tarball")
    scan_cmd.set_defaults(run=run_scan)

    diff_cmd = _command(commands, common, "diff", "compare two releases")
    diff_cmd.add_argument("old", metavar="OLD", help="git ref, directory, tarball or scan report (.json)")
    diff_cmd.add_argument("new", metavar="NEW", nargs="?", help="git ref, directory, tarball or scan report (.json)")
    diff_cmd.add_argument(
        "--worktree", action="store_true", help="compare OLD with the uncommitted work tree (nothing is modified)"
    )
    diff_cmd.add_argument(
        "--fail-on-change",
        action="store_true",
        help="exit 1 when the analysed logic differs, 0 when not (2 on error): a CI gate",
    )
    diff_cmd.set_defaults(run=run_diff)

    history_cmd = _command(commands, common, "history", "follow every site and fact across many releases")
    history_cmd.add_argument(
        "refs",
        metavar="REFS",
        nargs="*",
        help="A..B: the tags from A to B in version order (not git's A..B, see log); or refs, each one taken",
    )
    history_cmd.add_argument(
        "--tags",
        metavar="GLOB",
        help="the tags matching GLOB, e.g. 'v2.6.*': without -rc tags (see --rc), and without a stable "
        "point release whose final release is there too (v2.6.34.6 beside v2.6.34)",
    )
    history_cmd.add_argument("--rc", action="store_true", help="keep -rc tags in a range or --tags")
    history_cmd.add_argument(
        "--view",
        choices=("changes", "grid"),
        default="changes",
        help="text output: each row with the releases where it changed and to what (default), or a grid",
    )
    history_cmd.set_defaults(run=run_history)

    log_cmd = _command(commands, common, "log", "list the commits of a range that changed the analysed logic")
    log_cmd.add_argument(
        "range",
        metavar="A..B",
        help="git's revision range: the commits reachable from B and not from A (not history's version order)",
    )
    log_cmd.add_argument(
        "--all",
        action="store_true",
        dest="show_all",
        help="also list the commits that changed a file mentioning a tracked name but not the logic",
    )
    log_cmd.add_argument(
        "--fail-on-change", action="store_true", help="exit 1 when a commit of the range changed the analysed logic"
    )
    log_cmd.set_defaults(run=run_log)

    fetch_cmd = _command(commands, common, "fetch", "fetch named tags into the cache repo (shallow, no work tree)")
    fetch_cmd.add_argument("refs", metavar="REF", nargs="+", help="tag (or branch) names")
    fetch_cmd.set_defaults(run=run_fetch)
    return parser


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    name: str,
    help_text: str,
) -> argparse.ArgumentParser:
    """One subcommand with the common options and the examples."""
    return commands.add_parser(
        name,
        parents=[common],
        help=help_text,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _output_path(value: str) -> Path:
    """An -o value: a non-empty path."""
    if not value:
        raise argparse.ArgumentTypeError("empty output path")
    return Path(value)


def run_fetch(args: argparse.Namespace) -> int:
    """fetch REF...: only those tags, into the cache repo; print its path."""
    from analyzer.sources.remote import repo_for, terminal_progress

    print(repo_for(args.refs, args.remote, args.project, progress=terminal_progress()))
    return ExitCode.OK


def _scan(args: argparse.Namespace, sources: Sequence[Source], stats: RunStats | None = None) -> list[Report]:
    """scan_many with the command's options and a progress line on a terminal."""
    progress = Progress()
    try:
        return scan_many(sources, extra=args.track, project=args.project, stats=stats, progress=progress)
    finally:
        progress.done()


def run_history(args: argparse.Namespace) -> int:
    """history A..B | REF... | --tags GLOB: a timeline, releases in version order."""
    from analyzer.history import build_timeline, resolve_refs
    from analyzer.report.text import counted
    from analyzer.sources.git import GitSource, open_repo

    if not args.refs and not args.tags:
        raise UsageError("name releases: a range A..B, several refs, or --tags GLOB")
    repo = open_repo(_repo(args, [r for r in args.refs if ".." not in r]) if args.repo is None else args.repo)
    refs = resolve_refs(repo, args.refs, args.tags, args.rc)
    stats = RunStats()
    sources = [GitSource(repo, ref) for ref in refs]
    reports = _scan(args, sources, stats)
    print(
        f"siganalyze: {counted(len(refs), 'release')}; file results needed {stats.release_files}, "
        f"from the cache {stats.cached}, parsed {stats.parsed}; whole reports from the cache {stats.cached_reports}; "
        f"trees searched whole {stats.candidates.trees_grepped}, blobs read for candidates "
        f"{stats.candidates.blobs_read} (of {stats.candidates.blobs_changed} changed files)",
        file=sys.stderr,
    )
    timeline = build_timeline(reports)
    return _emit(timeline, args, [w for r in reports for w in r.warnings], sources)


def run_log(args: argparse.Namespace) -> int:
    """log A..B: the commits of git's range that changed the analysed logic, each against its first parent."""
    from analyzer.log import build_log
    from analyzer.report.log import render_log
    from analyzer.sources.git import open_repo

    if args.format in ("html", "sarif"):
        raise UsageError(f"log has no {args.format} output", hint="use text, json, md, rst or csv")
    progress = Progress()
    try:
        log = build_log(open_repo(args.repo), args.range, args.track, args.project, args.show_all, progress=progress)
    finally:
        progress.done()
    color = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    text = render_log(log, args.format, color=color, source_url=args.source_url)
    if args.output is not None:
        json_report.write_text(text, args.output)
    else:
        sys.stdout.write(text)
    return ExitCode.CHANGED if args.fail_on_change and log.logic_changed else ExitCode.OK


def _repo(args: argparse.Namespace, specs: Sequence[str]) -> str | None:
    """--repo, else the clone around the current directory, else a cache repo with `specs` fetched."""
    if args.repo or (args.remote is None and _inside_a_clone()):
        return str(args.repo) if args.repo else None
    refs = [spec for spec in specs if not Path(spec).exists() and not looks_like_path(spec)]
    if not refs:
        return None
    from analyzer.sources.remote import repo_for, terminal_progress

    return str(repo_for(refs, args.remote, args.project, progress=terminal_progress()))


def _inside_a_clone() -> bool:
    """True when the current directory is in a git work tree or repo."""
    from analyzer.sources.git import open_repo

    try:
        open_repo(None)
    except SiganalyzeError:
        return False
    return True


def run_scan(args: argparse.Namespace) -> int:
    """scan VERSION."""
    source = open_source(args.spec, _repo(args, [args.spec]))
    (report,) = _scan(args, [source])
    return _emit(report, args, report.warnings, [source])


def run_diff(args: argparse.Namespace) -> int:
    """diff OLD NEW."""
    if args.new is not None and args.worktree:
        raise UsageError("give NEW or --worktree, not both")
    if args.new is None and not args.worktree:
        raise UsageError("name NEW, or compare OLD with the work tree with --worktree")
    if args.worktree and args.repo is None and not _inside_a_clone():
        raise UsageError("--worktree compares with a clone's work tree: run it inside one or name it with --repo")
    loaded: dict[int, Report] = {}
    to_scan: list[tuple[int, Source]] = []
    specs = [spec for spec in (args.old, args.new) if spec is not None and not spec.endswith(".json")]
    repo = _repo(args, specs) if specs else args.repo
    for i, spec in enumerate((args.old, args.new)):
        if spec is None:
            from analyzer.sources.git import open_repo
            from analyzer.sources.worktree import WorktreeSource

            to_scan.append((i, WorktreeSource(open_repo(repo))))
        elif spec.endswith(".json"):
            loaded[i] = json_report.read_report(Path(spec))
        else:
            to_scan.append((i, open_source(spec, repo)))
    scanned = _scan(args, [source for _, source in to_scan])
    loaded.update({i: report for (i, _), report in zip(to_scan, scanned, strict=True)})
    if loaded[0].project != loaded[1].project:
        raise UsageError(
            f"OLD is a {loaded[0].project} tree and NEW a {loaded[1].project} tree: compare like with like",
            hint="force one kind on both with --project",
        )
    result = diff_reports(loaded[0], loaded[1])
    code = _emit(result, args, loaded[0].warnings + loaded[1].warnings, [source for _, source in to_scan])
    return ExitCode.CHANGED if args.fail_on_change and result.logic_changed else code


def _emit(
    obj: Report | ReportDiff | Timeline,
    args: argparse.Namespace,
    warnings: Sequence[str],
    sources: Sequence[Source] = (),
) -> int:
    """Validate JSON output, write it, report warnings; --strict turns warnings into exit 3."""
    if args.format == "json":
        json_report.validate(json_report.to_json(obj), "output")
    color = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    lines = None
    if args.format == "html":
        from analyzer.sources.lines import source_lines_from

        lines = source_lines_from(sources)
    text = render(
        obj,
        args.format,
        color=color,
        source_lines=lines,
        source_url=args.source_url,
        view=getattr(args, "view", "changes"),
    )
    if args.output is not None:
        json_report.write_text(text, args.output)
    else:
        sys.stdout.write(text)
    for warning in warnings:
        print(f"siganalyze: warning: {warning}", file=sys.stderr)
    if args.strict and warnings:
        raise StrictError(f"{len(warnings)} occurrence(s) not fully accounted for (see warnings above)")
    return ExitCode.OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code; entrypoint() passes it to sys.exit."""
    parser = make_parser()
    args = parser.parse_args(argv)
    values = [getattr(args, name, None) for name in ("spec", "old", "new", "range")] + list(getattr(args, "refs", []))
    for value in values:
        if value is not None and value.startswith("-"):  # never let a ref reach git as an option
            parser.error(f"{value!r} looks like an option, not a version")
        if value == "":
            parser.error("an empty version names nothing")
    try:
        if getattr(args, "source_url", None):
            from analyzer.report.html import source_url_template

            source_url_template(args.source_url)  # a bad template fails before any scanning
        return int(args.run(args))
    except SiganalyzeError as exc:
        print(f"siganalyze: error: {exc}", file=sys.stderr)
        if exc.hint:
            print(f"siganalyze: hint: {exc.hint}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("siganalyze: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception as exc:  # a bug: one line unless --debug
        if args.debug:
            traceback.print_exc()
        print(f"siganalyze: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("siganalyze: hint: re-run with --debug for the traceback", file=sys.stderr)
        return int(ExitCode.INTERNAL_ERROR)


def entrypoint() -> None:
    """Console-script entry point."""
    sys.exit(main())
