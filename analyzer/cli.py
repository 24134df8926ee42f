"""The siganalyze command: argparse subcommands translated into API calls, one error path."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer import __version__, interrupts
from analyzer.errors import ExitCode, SiganalyzeError, StrictError, UsageError

# The rest of the package is imported by the functions that use it, once entrypoint() has
# taken over Ctrl-C: importing it takes a third of a second, and a Ctrl-C then must exit 130 too.
if TYPE_CHECKING:
    from analyzer.diff import ReportDiff
    from analyzer.history import Timeline
    from analyzer.model import Report
    from analyzer.scan import RunStats
    from analyzer.sources import Source

EXAMPLES = {
    "scan": """\
  siganalyze scan v6.1                      every site in a kernel clone's v6.1
  siganalyze scan linux-source-6.1.tar.xz   a source tarball, read without extracting
  siganalyze scan ~/src/linux               a plain directory
  siganalyze scan v6.1 --repo ~/linux.git --strict
  siganalyze scan v257 --repo ~/systemd     PID 1's signal table of a systemd release""",
    "diff": """\
  siganalyze diff v2.6.34 v6.1              what changed between two releases
  siganalyze diff v2.6.34 v6.1 --format json -o diff.json
  siganalyze diff old.json v6.1             a saved scan report against a ref
  siganalyze diff HEAD --worktree --quiet   a review gate: exit 1 when the logic changed
  siganalyze diff v247 v257 --repo ~/systemd  how PID 1's table changed""",
    "history": """\
  siganalyze history v2.6.26..v2.6.35       every site and fact across the releases between
  siganalyze history --tags 'v2.6.3*'       the same for the tags a glob matches""",
    "fetch": """\
  siganalyze fetch v6.1 v6.6                only those tags, shallow, into the cache repo""",
}
EXIT_CODES = """\
exit codes: 0 ok, 1 the logic changed (diff --fail-on-change or --quiet), 2 bad input
(unknown ref, not a repo, invalid report), 3 --strict found something unaccounted, or an
internal error, 130 interrupted by Ctrl-C (143 by SIGTERM): no output file is left."""


def make_parser() -> argparse.ArgumentParser:
    """The argument parser: each subcommand offers exactly the options it reads."""
    parser = argparse.ArgumentParser(
        prog="siganalyze",
        description="Find where the kernel defines, sets, clears and tests SIGNAL_UNKILLABLE, which "
        "signals PID 1 (systemd, other C inits) handles, ignores or blocks, in any release, "
        "and what changed between releases.",
        epilog="examples:\n" + "\n".join(EXAMPLES.values()) + "\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"siganalyze {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    analysis, formats = _analysis_options(), _formats()

    scan_cmd = _command(commands, "scan", "list every site in one release", [_source_options(), analysis])
    scan_cmd.add_argument("spec", metavar="VERSION", help="git ref, source directory or tarball")
    _output_options(scan_cmd, [f for f in formats if f != "sarif"])
    scan_cmd.set_defaults(run=run_scan)

    diff_cmd = _command(commands, "diff", "compare two releases", [_source_options(), analysis])
    diff_cmd.add_argument("old", metavar="OLD", help="git ref, directory, tarball or scan report (.json)")
    diff_cmd.add_argument("new", metavar="NEW", nargs="?", help="git ref, directory, tarball or scan report (.json)")
    _output_options(diff_cmd, formats)
    diff_cmd.add_argument(
        "--worktree", action="store_true", help="compare OLD with the uncommitted work tree (nothing is modified)"
    )
    diff_cmd.add_argument(
        "--fail-on-change",
        action="store_true",
        help="exit 1 when the analysed logic differs, 0 when not (2 on error): a CI gate",
    )
    diff_cmd.add_argument(
        "--quiet", action="store_true", help="print nothing: only the exit status of --fail-on-change"
    )
    diff_cmd.add_argument("--all", action="store_true", help="text: list unchanged sites too (default: their count)")
    diff_cmd.set_defaults(run=run_diff)

    history_cmd = _command(
        commands, "history", "follow every site and fact across many releases", [_source_options(), analysis]
    )
    history_cmd.add_argument(
        "refs", metavar="REFS", nargs="*", help="A..B: the releases between A and B in version order; or refs"
    )
    history_cmd.add_argument("--tags", metavar="GLOB", help="every tag matching GLOB, e.g. 'v2.6.*'")
    _output_options(history_cmd, [f for f in formats if f != "sarif"])
    history_cmd.set_defaults(run=run_history)

    fetch_cmd = _command(commands, "fetch", "fetch named tags into the cache repo (shallow, no work tree)", [])
    fetch_cmd.add_argument("refs", metavar="REF", nargs="+", help="tag (or branch) names")
    fetch_cmd.add_argument("--remote", metavar="URL", help="fetch from URL (default: the project's upstream)")
    fetch_cmd.add_argument("--project", type=_project, choices=_projects(), help="whose upstream (default: kernel)")
    fetch_cmd.set_defaults(run=run_fetch)
    return parser


def _projects() -> tuple[str, ...]:
    from analyzer.extract import PROJECTS

    return PROJECTS


def _project(value: str) -> str:
    from analyzer.model import Project

    return Project(value) if value in _projects() else value  # argparse words the bad choice


def _formats() -> tuple[str, ...]:
    from analyzer.report import FORMATS

    return FORMATS


def _source_options() -> argparse.ArgumentParser:
    """Where trees come from: a repository, or the project's upstream."""
    group = argparse.ArgumentParser(add_help=False)
    group.add_argument(
        "--repo",
        metavar="PATH",
        help="git repository to read refs from (default: the one containing the current directory)",
    )
    group.add_argument(
        "--remote",
        metavar="URL",
        help="with no --repo outside a clone: fetch the named tags from URL (default: the project's upstream)",
    )
    return group


def _analysis_options() -> argparse.ArgumentParser:
    """What is looked for, and how strictly."""
    group = argparse.ArgumentParser(add_help=False)
    group.add_argument(
        "--track", action="append", metavar="IDENT", default=[], help="also track this identifier (repeatable)"
    )
    group.add_argument(
        "--strict", action="store_true", help="exit 3 when an occurrence is not accounted for or a site has no function"
    )
    group.add_argument(
        "--project",
        type=_project,
        choices=_projects(),
        help="what the tree is (default: detected: a kernel Makefile, meson.build of systemd, else another C init)",
    )
    return group


def _output_options(command: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    """How the result is written: the formats this command has, a file, links."""
    command.add_argument("--format", choices=formats, default="text", help="output format (default: text)")
    command.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=_output_path,
        help="write to FILE (atomically) instead of standard output",
    )
    command.add_argument(
        "--source-url",
        metavar="TEMPLATE",
        help="html links to the source: elixir, cgit, or a URL with {project} {ref} {commit} {path} {line}",
    )


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help_text: str,
    parents: list[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """One subcommand with its option groups, its own examples and the exit codes."""
    command = commands.add_parser(
        name,
        parents=parents,
        help=help_text,
        epilog=f"examples:\n{EXAMPLES[name]}\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("--debug", action="store_true", help="show the traceback of internal errors")
    return command


def _output_path(value: str) -> Path:
    """An -o value: a non-empty path in a directory that exists (checked before any work)."""
    if not value:
        raise argparse.ArgumentTypeError("empty output path")
    path = Path(value)
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{value}: directory {path.parent} does not exist")
    return path


def run_fetch(args: argparse.Namespace) -> int:
    """fetch REF...: only those tags, into the cache repo; print its path."""
    from analyzer.sources.remote import repo_for, terminal_progress

    print(repo_for(args.refs, args.remote, args.project, progress=terminal_progress()))
    return ExitCode.OK


def _scan(args: argparse.Namespace, sources: Sequence[Source], stats: RunStats | None = None) -> list[Report]:
    """scan_many with the command's options and a progress line on a terminal."""
    from analyzer.progress import Progress
    from analyzer.scan import scan_many

    progress = Progress()
    try:
        reports = scan_many(sources, extra=args.track, project=args.project, stats=stats, progress=progress)
    finally:
        progress.done()
    for ident in args.track:
        if reports and not any(report.occurrence_count(ident) for report in reports):
            print(
                f"siganalyze: warning: --track {ident}: no occurrence in any tree of this run; misspelled?",
                file=sys.stderr,
            )
    return reports


def run_history(args: argparse.Namespace) -> int:
    """history A..B | REF... | --tags GLOB: a timeline, releases in version order."""
    from analyzer.history import build_timeline, resolve_refs
    from analyzer.report.text import counted
    from analyzer.scan import RunStats
    from analyzer.sources.git import GitSource, open_repo

    if not args.refs and not args.tags:
        raise UsageError("name releases: a range A..B, several refs, or --tags GLOB")
    repo = open_repo(_repo(args, [r for r in args.refs if ".." not in r]) if args.repo is None else args.repo)
    refs = resolve_refs(repo, args.refs, args.tags)
    stats = RunStats()
    sources = [GitSource(repo, ref) for ref in refs]
    reports = _scan(args, sources, stats)
    print(
        f"siganalyze: {counted(len(refs), 'release')}; file results needed {stats.release_files}, "
        f"from the cache {stats.cached}, parsed {stats.parsed}; whole reports from the cache {stats.cached_reports}",
        file=sys.stderr,
    )
    timeline = build_timeline(reports)
    return _emit(timeline, args, [w for r in reports for w in r.warnings], sources)


def _repo(args: argparse.Namespace, specs: Sequence[str]) -> str | None:
    """--repo, else the clone around the current directory, else a cache repo with `specs` fetched."""
    if args.repo or (args.remote is None and _inside_a_clone()):
        return str(args.repo) if args.repo else None
    from analyzer.sources import looks_like_path

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
    from analyzer.sources import open_source

    source = open_source(args.spec, _repo(args, [args.spec]))
    (report,) = _scan(args, [source])
    return _emit(report, args, report.warnings, [source])


def run_diff(args: argparse.Namespace) -> int:
    """diff OLD NEW."""
    from analyzer.diff import diff_reports
    from analyzer.report import json as json_report
    from analyzer.sources import open_source

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
    if args.quiet:
        return ExitCode.CHANGED if result.logic_changed else ExitCode.OK
    # Name the release each warning comes from: both sides' warnings are printed together.
    warnings = [f"{loaded[i].source.label}: {w}" for i in (0, 1) for w in loaded[i].warnings]
    code = _emit(result, args, warnings, [source for _, source in to_scan])
    return ExitCode.CHANGED if args.fail_on_change and result.logic_changed else code


def _emit(
    obj: Report | ReportDiff | Timeline,
    args: argparse.Namespace,
    warnings: Sequence[str],
    sources: Sequence[Source] = (),
) -> int:
    """Validate JSON output, write it, report warnings; --strict turns warnings into exit 3."""
    from analyzer.report import json as json_report
    from analyzer.report import render

    if args.format == "json":
        json_report.validate(json_report.to_json(obj), "output")
    color = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    lines = None
    if args.format == "html":
        from analyzer.sources.lines import source_lines_from

        lines = source_lines_from(sources)
    show_all = getattr(args, "all", False)
    text = render(obj, args.format, color=color, source_lines=lines, source_url=args.source_url, show_all=show_all)
    if args.output is not None:
        # Past this point the run completes: an interrupted write would leave no output and
        # lose the work, a finished one makes an exit status of 130 wrong.
        interrupts.finishing()
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
    values = [getattr(args, name, None) for name in ("spec", "old", "new")] + list(getattr(args, "refs", []))
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
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception as exc:  # a bug: one line unless --debug
        if args.debug:
            import traceback

            traceback.print_exc()
        print(f"siganalyze: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("siganalyze: hint: re-run with --debug for the traceback", file=sys.stderr)
        return int(ExitCode.INTERNAL_ERROR)


def entrypoint() -> None:
    """Console-script entry point: a Ctrl-C (or SIGTERM) anywhere exits 128 + its number, 130 for Ctrl-C."""
    interrupts.take_over()
    try:
        with interrupts.deferred():  # what every command needs, imported whole even on Ctrl-C
            import analyzer.report.json
            import analyzer.scan  # noqa: F401
        code = main()
    except KeyboardInterrupt:  # outside main's handler: importing, parsing arguments, handling an error
        print("siganalyze: interrupted", file=sys.stderr)
        code = ExitCode.INTERRUPTED
    except BaseException:
        if interrupts.received() is None:
            raise
        # A library turned the interrupt into its own error (pyo3's PanicException is no Exception).
        print("siganalyze: interrupted", file=sys.stderr)
        code = ExitCode.INTERRUPTED
    signum = interrupts.settle()
    if signum is None and code != ExitCode.INTERRUPTED:
        sys.exit(int(code))
    interrupts.leave(128 + signum if signum is not None else ExitCode.INTERRUPTED)
