"""Workers that apply one function to a stream of tasks, results in input order.

Why not ``multiprocessing.Pool.imap`` or ``ThreadPoolExecutor.map`` alone: they submit the
whole input as fast as they can read it, so memory would grow with the input whenever
reading is faster than tagging. Here at most ``2 * n_jobs`` tasks are in flight, which
keeps memory flat.

Two backends. ``threads`` (the default for prediction): one process, so the model is held
once; the tagging work is mostly NumPy, SciPy and pandas calls that release the GIL, so
threads run it in parallel. ``processes``: the shared state (the model) is set before the
workers start; with the ``fork`` start method (Linux) they inherit it without a copy or a
reload (but each process's RSS counts the shared pages); elsewhere it is pickled to each
worker once. Worker processes ignore Ctrl-C (the parent handles it and stops them), and
on Linux they are killed if the parent dies, even by SIGKILL, so no orphan keeps running.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Literal

Backend = Literal["threads", "processes"]
BACKENDS = ("threads", "processes")

_STATE: Any = None
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_PR_SET_PDEATHSIG = 1


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_n_jobs(n_jobs: int | None) -> int:
    """``None``, 0 or -1: all available cores; a positive number: that many processes."""
    if n_jobs is None or n_jobs <= 0:
        return available_cores()
    return int(n_jobs)


def _init_worker(state: Any, parent: int) -> None:
    global _STATE
    if state is not None:
        _STATE = state
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)


def _hold_signals(received: list[int]) -> dict[int, Any]:
    """Make Ctrl-C and SIGTERM only append to ``received``; returns the previous handlers
    (none outside the main thread, where handlers cannot be changed)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.signal(s, lambda signum, _: received.append(signum)) for s in _STOP_SIGNALS}


def _call(fn: Callable[[Any, Any], Any], task: Any) -> Any:
    return fn(_STATE, task)


def ordered_map(
    fn: Callable[[Any, Any], Any],
    state: Any,
    tasks: Iterable[Any],
    n_jobs: int,
    backend: Backend = "processes",
) -> Iterator[Any]:
    """``fn(state, task)`` for each task, in task order, computed by ``n_jobs`` threads or
    processes (in this thread when ``n_jobs`` is 1). Closing the iterator stops the
    workers."""
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r}; choose one of {BACKENDS}")
    if n_jobs <= 1:
        for task in tasks:
            yield fn(state, task)
        return
    if backend == "threads":
        yield from _ordered_threads(fn, state, tasks, n_jobs)
        return
    global _STATE
    methods = mp.get_all_start_methods()
    if "fork" in methods:
        context, passed = mp.get_context("fork"), None
        _STATE = state
    else:
        context, passed = mp.get_context("spawn"), state
    # Ctrl-C or SIGTERM while the pool starts would leave half-started workers: such a
    # signal is held until the pool exists, then delivered inside the block that stops it.
    # Blocking is not enough: a signal caught by another thread runs its Python handler in
    # this thread at the next chance, possibly inside fork's own callbacks, which swallow
    # the exception; so the handlers only record the signal meanwhile.
    received: list[int] = []
    held = _hold_signals(received)
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        pool = context.Pool(n_jobs, initializer=_init_worker, initargs=(passed, os.getpid()))
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        for signum, handler in held.items():
            signal.signal(signum, handler)
    try:
        if received:
            signal.raise_signal(received[0])
        window: deque = deque()
        for task in tasks:
            window.append(pool.apply_async(_call, (fn, task)))
            if len(window) >= 2 * n_jobs:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()
        pool.close()
    except BaseException:
        _stop_broken_pool(pool)
        raise
    else:
        pool.terminate()
        pool.join()
    finally:
        _STATE = None


def _stop_broken_pool(pool: Any) -> None:
    """Stop a pool after an error, Ctrl-C or SIGTERM. The same signal may have killed
    workers while they held the pool's queue locks, and ``Pool.terminate`` can then wait
    for those locks forever (a known limitation of multiprocessing.Pool); so the workers
    are killed first and ``terminate`` gets a few seconds in a daemon thread."""
    for child in mp.active_children():
        child.kill()
    stopper = threading.Thread(target=pool.terminate, daemon=True)
    stopper.start()
    stopper.join(timeout=5.0)


def _ordered_threads(
    fn: Callable[[Any, Any], Any], state: Any, tasks: Iterable[Any], n_jobs: int
) -> Iterator[Any]:
    """:func:`ordered_map` on ``n_jobs`` threads. On an error, Ctrl-C or SIGTERM (raised in
    the main thread) the tasks not yet started are cancelled and the running ones, one
    chunk each at most, are waited for."""
    window: deque[Future] = deque()
    pool = ThreadPoolExecutor(n_jobs, thread_name_prefix="classifier-worker")
    try:
        for task in tasks:
            window.append(pool.submit(fn, state, task))
            if len(window) >= 2 * n_jobs:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
