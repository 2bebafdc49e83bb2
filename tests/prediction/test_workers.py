"""Ordered workers (threads or processes): results in order, bounded read-ahead, errors
reach the caller, and a stop signal while worker processes start is kept."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
import sys
import time

import pytest

from classifier.prediction.workers import ordered_map


def square(offset: int, task: int) -> int:
    return offset + task * task


def test_results_come_in_task_order():
    assert list(ordered_map(square, 1, range(50), n_jobs=2)) == [1 + i * i for i in range(50)]


class Stop(BaseException):
    pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork start method")
def test_a_stop_signal_while_the_pool_starts_stops_the_run_and_its_workers(monkeypatch):
    # SIGTERM arrives while the workers are being started. Its handler may then run inside
    # fork's own callbacks, which swallow exceptions: the signal must not be lost there (the
    # run would go on), nor stop the run before the pool can be stopped (workers left).
    context = mp.get_context("fork")
    real_pool = context.Pool

    def pool_then_signal(*args, **kwargs):
        pool = real_pool(*args, **kwargs)
        handler = signal.getsignal(signal.SIGTERM)
        with contextlib.suppress(BaseException):  # the handler as run by fork's callbacks
            handler(signal.SIGTERM, None)
        return pool

    def stop(signum, frame):
        raise Stop()

    monkeypatch.setattr(context, "Pool", pool_then_signal)
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(Stop):
            list(ordered_map(square, 0, range(1000), n_jobs=2))
    finally:
        signal.signal(signal.SIGTERM, previous)
    deadline = time.monotonic() + 10
    while mp.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mp.active_children() == []


def fail_on_seven(offset: int, task: int) -> int:
    if task == 7:
        raise ValueError("task 7")
    return task


@pytest.mark.parametrize("backend", ["threads", "processes"])
def test_both_backends_keep_task_order(backend):
    results = ordered_map(square, 1, range(200), n_jobs=3, backend=backend)
    assert list(results) == [1 + i * i for i in range(200)]


def test_a_failing_thread_task_raises_in_the_caller_and_the_rest_is_not_started():
    started = []

    def record(offset: int, task: int) -> int:
        started.append(task)
        return fail_on_seven(offset, task)

    results = ordered_map(record, 0, range(1000), n_jobs=2, backend="threads")
    with pytest.raises(ValueError, match="task 7"):
        list(results)
    # At most 2 * n_jobs tasks are in flight: the input was not read to its end.
    assert max(started) < 7 + 2 * 2 + 1


def test_closing_the_thread_results_stops_reading_tasks():
    read = []

    def tasks():
        for i in range(1000):
            read.append(i)
            yield i

    results = ordered_map(square, 0, tasks(), n_jobs=2, backend="threads")
    assert [next(results) for _ in range(3)] == [0, 1, 4]
    results.close()
    assert len(read) <= 3 + 2 * 2


def test_an_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend='fibers'"):
        list(ordered_map(square, 0, range(3), n_jobs=2, backend="fibers"))
