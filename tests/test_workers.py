"""Ordered worker processes: results in order, and a stop signal during start-up is kept."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
import sys
import time

import pytest

from classifier.workers import ordered_map


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
