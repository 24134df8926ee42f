"""The siganalyze command: argparse subcommands translated into API calls, one error path."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer import arguments, interrupts
from analyzer.errors import ExitCode, SiganalyzeError, StrictError, UsageError

# The rest of the package is imported by the functions that use it, once entrypoint() has
# taken over Ctrl-C: a command loads what it runs only, and a Ctrl-C meanwhile must exit 130 too.
if TYPE_CHECKING:
    from analyzer.diff import ReportDiff
    from analyzer.explain import Explanation
    from analyzer.history import Timeline
    from analyzer.model import Report
    from analyzer.scan import RunStats
    from analyzer.sources import Source
    from analyzer.verify import Verification


def run_fetch(args: argparse.Namespace) -> int:
    """fetch REF...: only those tags, into the cache repo; print its path."""
    from analyzer.sources.remote import repo_for, terminal_progress

    print(repo_for(args.refs, args.remote, args.project, progress=terminal_progress()))
    return ExitCode.OK


def _checked(progress: Callable[[str], None]) -> Callable[[str], None]:
    """The progress callback, stopping the run at a signal whose KeyboardInterrupt got lost."""

    def report(message: str) -> None:
        interrupts.checkpoint()
        progress(message)

    return report


def _scan(args: argparse.Namespace, sources: Sequence[Source], stats: RunStats | None = None) -> list[Report]:
    """scan_many with the command's options and a progress line on a terminal."""
    from analyzer.progress import Progress
    from analyzer.scan import scan_many

    progress = Progress()
    try:
        reports = scan_many(sources, extra=args.track, project=args.project, stats=stats, progress=_checked(progress))
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
    from analyzer.progress import Progress
    from analyzer.report import json as json_report
    from analyzer.report.log import render_log, work_line
    from analyzer.sources.git import open_repo

    with interrupts.deferred():  # it imports GitPython, whose import runs git: whole, even on Ctrl-C
        from analyzer.log import build_log

    progress = Progress()
    try:
        log = build_log(
            open_repo(args.repo), args.range, args.track, args.project, args.show_all, progress=_checked(progress)
        )
    finally:
        progress.done()
    print(work_line(log), file=sys.stderr)
    color = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    lines = None
    if args.format == "html":
        from analyzer.sources.lines import source_lines_from

        lines = source_lines_from()  # each commit's files read again from the repository
    text = render_log(log, args.format, color=color, source_url=args.source_url, source_lines=lines)
    if args.output is not None:
        json_report.write_text(text, args.output)
    else:
        sys.stdout.write(text)
    return ExitCode.CHANGED if args.fail_on_change and log.logic_changed else ExitCode.OK


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
    from analyzer.sources.git import git_dir_of

    try:
        git_dir_of(None)
    except SiganalyzeError:
        return False
    return True


def run_scan(args: argparse.Namespace) -> int:
    """scan VERSION."""
    from analyzer.sources import open_source

    source = open_source(args.spec, _repo(args, [args.spec]))
    (report,) = _scan(args, [source])
    return _emit(report, args, report.warnings, [source])


def run_explain(args: argparse.Namespace) -> int:
    """explain VERSION [--init SPEC]."""
    from analyzer.explain import explain
    from analyzer.sources import open_source

    if args.init_repo is not None and args.init is None:
        raise UsageError("--init-repo names where --init's ref is read from: give --init too")
    if args.project not in (None, "kernel"):
        raise UsageError("explain reads a kernel: name the init with --init")
    source = open_source(args.spec, _repo(args, [args.spec]))
    sources = [source]
    init = None
    if args.init is not None and args.init.endswith(".json"):
        from analyzer.report import json as json_report

        init = json_report.read_report(Path(args.init))
    elif args.init is not None:
        init_source = open_source(args.init, args.init_repo)
        sources.append(init_source)
    reports = _scan(args, sources)
    if init is None and len(reports) == 2:
        init = reports[1]
    result = explain(reports[0], init)
    code = _emit(result, args, result.warnings, sources)
    if args.strict and result.unknown:
        raise StrictError(f"{len(result.unknown)} unknown cell(s): their conditions have no meaning in the atom table")
    return code


def run_verify(args: argparse.Namespace) -> int:
    """verify VERSION: live, in PID namespaces."""
    from analyzer.sources import open_source
    from analyzer.verify import verify

    source = open_source(args.spec, _repo(args, [args.spec]))
    (report,) = _scan(args, [source])
    result = verify(report, jobs=args.jobs)
    code = _emit(result, args, report.warnings, [source])  # the release mismatch is in the report itself
    return code if result.passed else ExitCode.CHANGED


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
    obj: Report | ReportDiff | Timeline | Explanation | Verification,
    args: argparse.Namespace,
    warnings: Sequence[str],
    sources: Sequence[Source] = (),
) -> int:
    """Validate JSON output, write it, report warnings; --strict turns warnings into exit 3."""
    from analyzer.report import render

    if args.format == "json":
        from analyzer.report import json as json_report
        from analyzer.report import to_json

        json_report.validate(to_json(obj), "output")
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
        show_all=getattr(args, "all", False),
        view=getattr(args, "view", "changes"),
        verbose=getattr(args, "verbose", False),
    )
    if args.output is not None:
        from analyzer.report import json as json_report

        # Past this point the run completes: an interrupted write would leave no output and
        # lose the work, a finished one makes an exit status of 130 wrong.
        interrupts.checkpoint()
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
    parser = arguments.make_parser()
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
        runners = {
            "scan": run_scan,
            "diff": run_diff,
            "history": run_history,
            "log": run_log,
            "fetch": run_fetch,
            "explain": run_explain,
            "verify": run_verify,
        }
        return int(runners[args.command](args))
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
        # What every command needs, imported whole even on Ctrl-C; jsonschema-rs and GitPython
        # are imported where used, deferred too.
        with interrupts.deferred():
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
