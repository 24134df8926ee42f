"""A pool of forked worker processes that leaves Ctrl-C and SIGTERM to the parent, as scan's parsing does."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

_STOP = {signal.SIGINT, signal.SIGTERM}
PARALLEL_FROM = 8  # fewer files than this parse faster than a process pool starts
_Job = TypeVar("_Job")
_Result = TypeVar("_Result")


def map_jobs(
    function: Callable[[_Job], _Result], jobs: Sequence[_Job], tick: Callable[[int, int], None] | None = None
) -> list[_Result]:
    """`function` over `jobs` in order, over every core when there are enough of them.

    `function` must be a module-level function (the workers are forked and find it by name);
    `tick(done, total)` is called as each result comes back.
    """
    workers = min(os.cpu_count() or 1, len(jobs))
    results: list[_Result] = []
    with contextlib.ExitStack() as stack:
        done: Iterator[_Result]
        if len(jobs) < PARALLEL_FROM or workers < 2:
            done = map(function, jobs)
        else:
            # Forked workers inherit the family registry, families registered at run time included;
            # Ctrl-C reaches only the parent while it waits (see worker_pool).
            pool = stack.enter_context(worker_pool(workers))
            done = pool.map(function, jobs, chunksize=max(1, len(jobs) // (4 * workers)))
        for result in done:
            results.append(result)
            if tick is not None:
                tick(len(results), len(jobs))
    return results


@contextlib.contextmanager
def worker_pool(workers: int | None = None) -> Iterator[ProcessPoolExecutor]:
    """A fork pool of `workers` (one per core by default), every worker started before it is handed out.

    A signal raised inside the pool's own bookkeeping (forking, shutting down) can deadlock
    it: the workers are forked with the signals blocked and ignore them; the parent takes
    them while it waits for results, and then drops the work not started. Objects alive at
    the fork are frozen out of the garbage collector meanwhile, so no worker's collection
    walks (and copies) the parent's heap.
    """
    count = workers or os.cpu_count() or 1
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=count, initializer=_ignore_signals, mp_context=context) as pool:
            pool.submit(int).result()  # a fork pool starts all its workers at the first task
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            try:
                yield pool
            except BaseException:
                pool.shutdown(cancel_futures=True)  # the tasks not started yet are dropped
                raise
            finally:
                signal.pthread_sigmask(signal.SIG_BLOCK, _STOP)
    finally:
        gc.unfreeze()
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal that came meanwhile is raised here


def _ignore_signals() -> None:
    for signum in _STOP:
        signal.signal(signum, signal.SIG_IGN)
