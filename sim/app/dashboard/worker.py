"""Where the dashboard's simulations run: a background process, one job at a time, with progress and cancel.

The page never waits on a simulation: each job (a run, a comparison, an
optimizer, a report) goes to one long-lived worker process, which has the
engine imported and its compiled kernel loaded, so a job starts at once.  The
worker counts finished replications in shared memory (the progress bar reads
them) and stops at the next replication when cancelled.  Results are cached by
the job's content (its kind, the scenario as validated and its options), so
returning to a setting shows its result at once.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pandas as pd

from sim.app.dashboard.jobs import TASKS, Job
from sim.experiments.executors import end_with


class Cancelled(Exception):
    """The user cancelled the job."""


# The worker process's side: shared counters set once when it starts.
_done: Any = None
_current: Any = None
_cancel: Any = None


def _start(done: Any, current: Any, cancel: Any, server: int) -> None:
    """Worker start-up: keep the shared counters, import the engine, and end with the server process."""
    global _done, _current, _cancel
    _done, _current, _cancel = done, current, cancel
    import sim.experiments  # noqa: F401  (imported once here, not in every job)

    end_with(server)  # the server killed without the chance to stop its worker: no orphan computes on


def _tick(k: int) -> None:
    """One more replication finished; stop here if the user cancelled."""
    with _done.get_lock():
        _done.value += k
    if _cancel.is_set():
        raise Cancelled("cancelled")


def execute(serial: int, job: Job) -> Any:
    """Run `job` in the worker (its replications counted in the shared counter)."""
    with _done.get_lock():
        _done.value = 0
        _current.value = serial
    if _cancel.is_set():
        raise Cancelled("cancelled")
    return TASKS[job.kind](job, _tick)


def footprint(result: Any) -> float:
    """Bytes a result holds in its tables (DataFrames inside it, one level down) and text."""
    if isinstance(result, pd.DataFrame):
        return float(result.memory_usage(index=True).sum())
    if isinstance(result, str):
        return float(len(result))
    parts = vars(result).values() if hasattr(result, "__dict__") else ()
    return sum(footprint(p) for p in parts if isinstance(p, (pd.DataFrame, str)))


class Worker:
    """The background process, its cache of results by job content, and what it is doing now."""

    def __init__(self, cache_bytes: float = 2e9) -> None:
        self._new_process()
        self._cache: OrderedDict[str, tuple[Any, float]] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._pending: dict[str, Future] = {}
        self._jobs: dict[int, tuple[Job, int]] = {}  # queued and running jobs by serial, with their steps
        self._serial = 0
        # Futures finish on the pool's own thread, while the page reads the cache and the queue: one lock for both.
        self._lock = threading.Lock()

    def _new_process(self) -> None:
        """Start the worker process and its shared counters.

        Forked before the server starts any thread, with the engine already imported here, it starts at once
        (a spawned one imports everything again: about 3 s on 2 cores before its first result).  Forking a
        process that runs threads can deadlock the child, so then it is spawned.
        """
        import sim.experiments  # noqa: F401

        fork = "fork" in mp.get_all_start_methods() and threading.active_count() == 1
        ctx = mp.get_context("fork" if fork else "spawn")
        self._done, self._current, self._cancel = ctx.Value("q", 0), ctx.Value("q", -1), ctx.Event()
        self._pool = ProcessPoolExecutor(
            1, mp_context=ctx, initializer=_start, initargs=(self._done, self._current, self._cancel, os.getpid())
        )

    def cached(self, job: Job) -> Any | None:
        """The result of `job` if it was computed before (None otherwise)."""
        with self._lock:
            if job.key in self._cache:
                self._cache.move_to_end(job.key)
                return self._cache[job.key][0]
            return None

    def start(self, job: Job) -> Future:
        """Queue `job` (or join the same job already queued); its future gives the result."""
        key = job.key
        with self._lock:
            if key in self._pending:
                return self._pending[key]
            self._serial += 1
            serial = self._serial
            self._jobs[serial] = (job, job.steps)
            self._cancel.clear()
            try:
                fut = self._pool.submit(execute, serial, job)
            except BrokenProcessPool:  # the worker died (out of memory, killed): the next job gets a new one
                self._new_process()
                fut = self._pool.submit(execute, serial, job)
            self._pending[key] = fut
        fut.add_done_callback(lambda f: self._finish(key, serial, f))
        return fut

    def _finish(self, key: str, serial: int, fut: Future) -> None:
        ok = not fut.cancelled() and fut.exception() is None
        size = footprint(fut.result()) if ok else 0.0
        with self._lock:
            self._pending.pop(key, None)
            self._jobs.pop(serial, None)
            if ok:
                self._cache[key] = (fut.result(), size)
                # The oldest results go first once the cache holds more than its budget (the newest always stays).
                while len(self._cache) > 1 and sum(s for _, s in self._cache.values()) > self._cache_bytes:
                    self._cache.popitem(last=False)

    async def submit(self, job: Job) -> Any:
        """The result of `job`: from the cache, or computed in the worker without blocking the page."""
        got = self.cached(job)
        if got is not None:
            return got
        return await asyncio.wrap_future(self.start(job))

    def progress(self) -> tuple[str, int, int] | None:
        """What the worker is doing: (job kind, replications done, replications in all), or None when idle."""
        with self._lock:
            if not self._pending:
                return None
            job, total = self._jobs.get(self._current.value, (None, 0))
        if job is None:  # the worker has not started a queued job yet
            return ("waiting", 0, 0)
        return (job.kind, min(self._done.value, total), total)

    def cancel(self) -> None:
        """Stop the running job at its next replication and drop the queued ones."""
        self._cancel.set()
        with self._lock:
            queued = list(self._pending.values())
        for fut in queued:
            fut.cancel()

    def close(self) -> None:
        """Stop the worker process now (a job it runs is abandoned)."""
        self.cancel()
        for process in list(getattr(self._pool, "_processes", {}).values()):  # no public kill before Python 3.14
            process.terminate()
        self._pool.shutdown(wait=False, cancel_futures=True)
