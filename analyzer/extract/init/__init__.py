"""PID 1's signal table: which signals an init handles, ignores, blocks (and dispatches) or leaves alone.

First each file is parsed once into records (perfile, with branches, switches and summary
for what needs the tree; records; files reads them, in batches): in a scan that step runs
in the worker pool and its records are cached by blob. Then the steps, one module each, over
those records only: scope (which files are PID 1), decisions (calls -> decisions, with
arguments and handlers), order (program order from main(), what is set aside), dispatch (who
reads blocked signals back), rows (the final table).
"""

from __future__ import annotations

from analyzer.errors import SourceError
from analyzer.extract.init import scope
from analyzer.extract.init.context import Context, Decision, Reader
from analyzer.extract.init.decisions import decisions_in
from analyzer.extract.init.dispatch import find_dispatch, reader_via
from analyzer.extract.init.files import InitFiles
from analyzer.extract.init.handlers import installer_macros
from analyzer.extract.init.order import ProgramOrder
from analyzer.extract.init.rows import default_rows, final_rows, skip_entry
from analyzer.extract.init.vocabulary import API, Helper, helpers
from analyzer.model import Disposition, InitScope, InitTable, Project
from analyzer.sources import Source, is_c_source

# Disposition and InitTable stay importable from here, where callers (and tests) found them.
__all__ = ["Disposition", "Helper", "InitFiles", "InitScope", "InitTable", "extract_init", "helpers"]


# A valid answer, not an error: a container's PID 1 is often an ordinary program.
_UNTOUCHED = (
    "{entry}() and what it calls never change a signal's disposition: every signal keeps its default"
    " action, as for an ordinary program run as a container's PID 1"
)


def extract_init(source: Source, project: str, files: InitFiles | None = None) -> InitTable:
    """Build the signal table of the PID 1 program in `source` ("systemd" or another init).

    Every file is read through `files` (default: parsed here, one after the other); the steps
    after it see per-file facts only, never a tree.
    """
    ctx = Context(source, project, files if files is not None else InitFiles(source))
    installers = installer_macros(ctx)
    ctx.names = (*API, *helpers(), *sorted(installers))
    candidates = sorted(p for p in ctx.files.candidate_files(ctx.names) if is_c_source(p))
    ctx.load(candidates)
    scope.choose_scope(ctx, candidates)
    if ctx.main is None:
        raise SourceError(
            f"no program in {source.info.label}: no C file defines main() or an init applet's entry"
            " (queries/init/entry-points.txt)",
            hint="kernel code? name it with --project kernel",
        )
    decisions: list[Decision] = []
    readers: list[Reader] = []
    for path in ctx.scope:
        found, read = decisions_in(ctx, ctx.unit(path), installers)
        decisions += found
        readers += read
    if not decisions:
        return _table(ctx, default_rows(ctx.rt_rows), _UNTOUCHED.format(entry=ctx.entry))
    order = ProgramOrder(ctx)
    kept = order.keep(decisions)
    readers = [r for r in readers if order.runs(r)]
    dispatch, paths = find_dispatch(ctx, readers)
    blocked_via = reader_via([r for r in readers if r.path in paths] or readers)
    return _table(ctx, final_rows(kept, dispatch, blocked_via, ctx.rt_rows, ctx.row_notes), None)


def _table(ctx: Context, rows: tuple[Disposition, ...], note: str | None) -> InitTable:
    """Assemble the InitTable from the rows and what was learnt on the way."""
    relevant = {p for p in ctx.scope if scope.relevant(ctx, p)}
    files = relevant | ctx.resolver.used_files | scope.helper_files(ctx) | ({ctx.main} if ctx.main else set())
    scope_ = InitScope(
        project=Project(ctx.project),
        files=tuple(sorted(files - ctx.excluded)),
        excluded=tuple(sorted(ctx.excluded)),
        unresolved=tuple(sorted(ctx.unresolved)),
        note=note,
        skipped=tuple(ctx.skipped) + tuple(skip_entry(k, v) for k, v in ctx.skipped_signals.items()),
        main=ctx.main,
        timed_out=tuple(sorted(ctx.timed_out | ctx.resolver.timed_out)),
        entry=ctx.entry,
    )
    return InitTable(scope_, rows)
