"""Build or check poster pages in worker processes: a fork-based map, and pages per task."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
from typing import Callable, Iterator, Sequence

PAGES_PER_TASK = 8

_TASK: Callable[[int], object] | None = None  # in a worker: the work of its pool


def _install(func: Callable[[int], object]) -> None:
    """A worker's start: its work, and the default signal handling. A fork inherits the
    parent's handlers: under `qrproc serve`, SIGTERM raises KeyboardInterrupt (to stop the
    server), and the SIGTERM with which a pool ends its workers printed a traceback per worker."""
    global _TASK
    _TASK = func
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle


def _run_task(i: int):
    return _TASK(i)  # type: ignore[misc]


def _pool(func: Callable[[int], object], processes: int):
    """A pool of forked workers that run `func`. Each worker is handed `func` as it starts (by
    fork: inherited, never pickled), so two pools started at once from two threads (two print
    jobs on the web desk) never run each other's work, nor does a worker the pool replaces."""
    return multiprocessing.get_context("fork").Pool(processes, initializer=_install,
                                                    initargs=(func,))


@contextlib.contextmanager
def fork_map(func: Callable[[int], object], n_tasks: int, workers: int) -> Iterator[Iterator]:
    """Results of func(0..n_tasks-1), in order, from `workers` forked processes.

    Forked workers inherit `func` and everything it closes over (the document, the fonts, an
    injected encoder), so nothing large is pickled on the way in. With one worker, one task or no
    fork (not Linux), it runs in this process.
    """
    if workers <= 1 or n_tasks <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield (func(i) for i in range(n_tasks))
        return
    with _pool(func, min(workers, n_tasks)) as pool:
        yield pool.imap(_run_task, range(n_tasks))


@contextlib.contextmanager
def fork_map_async(func: Callable[[int], object], n_tasks: int, workers: int):
    """Like `fork_map`, but the workers start now and this process goes on meanwhile: the
    context yields a function that waits for all the results and returns them as a list, in
    order. With one worker, one task or no fork it runs the tasks when the results are asked
    for, in this process."""
    if workers <= 1 or n_tasks <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield lambda: [func(i) for i in range(n_tasks)]
        return
    with _pool(func, min(workers, n_tasks)) as pool:
        yield pool.map_async(_run_task, range(n_tasks), chunksize=1).get


def chunk_size(n_pages: int, workers: int) -> int:
    """Pages per task: at most PAGES_PER_TASK, and at least ~4 tasks per worker so the workers
    finish together on small jobs."""
    return max(1, min(PAGES_PER_TASK, math.ceil(n_pages / (4 * max(1, workers)))))


def balanced_chunks(weights: Sequence[float], n_chunks: int) -> list[range]:
    """At most `n_chunks` contiguous, non-empty ranges covering the indexes of `weights`, each of
    about the same total weight: a range ends before the item whose middle passes the next
    k/n_chunks of the total. Tasks of equal work let the workers finish together (cut by page
    count, a commune board's 57 pages in tasks of 8 left one worker a seventh of the work
    alone at the end)."""
    n = len(weights)
    n_chunks = max(1, min(n_chunks, n))
    total = float(sum(weights))
    if n == 0:
        return []
    if total <= 0:
        weights, total = [1.0] * n, float(n)
    cuts = [0]
    running = 0.0
    k = 1
    for i, w in enumerate(weights):
        while k < n_chunks and running + w / 2 >= total * k / n_chunks:
            if i > cuts[-1]:
                cuts.append(i)
            k += 1
        running += w
    cuts.append(n)
    return [range(a, b) for a, b in zip(cuts, cuts[1:])]


def default_workers() -> int:
    """One process per available core, at most two."""
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)))
