"""The command line's words: each subcommand's options, examples and exit codes (argparse only).

Package modules are imported by the functions that need them: analyzer.cli builds this
parser before the rest of the package is loaded, so that Ctrl-C is handled from the start.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from analyzer import __version__

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
  siganalyze history --tags 'v2.6.3*'       the same for the tags a glob matches (finals; --rc for -rc tags)""",
    "log": """\
  siganalyze log v2.6.25..v2.6.36-rc3       the commits that changed the logic (git's range A..B)
  siganalyze log v6.1..HEAD --fail-on-change  a gate over a branch's commits""",
    "fetch": """\
  siganalyze fetch v6.1 v6.6                only those tags, shallow, into the cache repo""",
    "explain": """\
  siganalyze explain v6.1.176               what happens to each signal sent to PID 1, by sender and disposition
  siganalyze explain v6.1.176 -v            with each cell's conditions, their places and values
  siganalyze explain v6.1.176 --init v257.13 --init-repo ~/src/systemd   with systemd as PID 1
  siganalyze explain v6.1.176 --init systemd-v257.json                   a saved init scan""",
    "verify": """\
  siganalyze verify v7.2.8                  run every container-init cell live (root) and compare""",
}
EXIT_CODES = """\
exit codes: 0 ok, 1 the logic changed (diff --fail-on-change or --quiet) or verify found a
disagreement or an unknown prediction, 2 bad input (unknown ref, not a repo, invalid report)
or verify cannot run here, 3 --strict found something unaccounted or an unknown cell, or an
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
    scan_cmd.set_defaults(command="scan")

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
    diff_cmd.set_defaults(command="diff")

    history_cmd = _command(
        commands, "history", "follow every site and fact across many releases", [_source_options(), analysis]
    )
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
    _output_options(history_cmd, [f for f in formats if f != "sarif"])
    history_cmd.set_defaults(command="history")

    log_cmd = _command(
        commands, "log", "list the commits of a range that changed the analysed logic", [_source_options(), analysis]
    )
    log_cmd.add_argument(
        "range",
        metavar="A..B",
        help="git's revision range: the commits reachable from B and not from A (not history's version order)",
    )
    _output_options(log_cmd, formats)
    log_cmd.add_argument(
        "--all",
        action="store_true",
        dest="show_all",
        help="also list the commits that changed a file mentioning a tracked name but not the logic",
    )
    log_cmd.add_argument(
        "--fail-on-change", action="store_true", help="exit 1 when a commit of the range changed the analysed logic"
    )
    log_cmd.set_defaults(command="log")

    explain_cmd = _command(
        commands,
        "explain",
        "what happens to each signal sent to PID 1, by sender and init's disposition",
        [_source_options(), analysis],
    )
    explain_cmd.add_argument("spec", metavar="VERSION", help="kernel: git ref, source directory or tarball")
    explain_cmd.add_argument(
        "--init",
        metavar="SPEC",
        help="an init as PID 1: a ref (with --init-repo), directory, tarball, or its saved scan report (.json)",
    )
    explain_cmd.add_argument("--init-repo", metavar="PATH", help="the git repository --init's ref is read from")
    explain_cmd.add_argument("-v", "--verbose", action="store_true", help="each cell's conditions and their values")
    _output_options(explain_cmd, [f for f in formats if f != "sarif"])
    explain_cmd.set_defaults(command="explain")

    verify_cmd = _command(
        commands,
        "verify",
        "run the container-init cells live in fresh PID namespaces and compare with the prediction",
        [_source_options(), analysis],
    )
    verify_cmd.add_argument("spec", metavar="VERSION", help="kernel source the prediction is read from")
    verify_cmd.add_argument("-v", "--verbose", action="store_true", help="list every case, not only disagreements")
    verify_cmd.add_argument("--jobs", type=int, default=0, metavar="N", help="cases run at once (default: 2 per CPU)")
    _output_options(verify_cmd, ("text", "json"))
    verify_cmd.set_defaults(command="verify")

    fetch_cmd = _command(commands, "fetch", "fetch named tags into the cache repo (shallow, no work tree)", [])
    fetch_cmd.add_argument("refs", metavar="REF", nargs="+", help="tag (or branch) names")
    fetch_cmd.add_argument("--remote", metavar="URL", help="fetch from URL (default: the project's upstream)")
    fetch_cmd.add_argument("--project", type=_project, choices=_projects(), help="whose upstream (default: kernel)")
    fetch_cmd.set_defaults(command="fetch")
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
