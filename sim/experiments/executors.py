"""Where experiments run: serially, on local cores with joblib, or on a Dask cluster, with one call.

Dask rather than Ray: it installs as pure-Python wheels, starts a local
cluster in a second for tests, and its scheduler runs anywhere Python does.
Every job carries its own seed, so where it runs never changes its result.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joblib import Parallel, delayed

from sim.errors import CrmsimWarning, UsageError
from sim.scenario import ScenarioError


def default_jobs() -> int:
    """Local cores to use by default."""
    return max(1, os.cpu_count() or 1)


class Checkpoint:
    """Finished jobs kept on disk as they complete (one JSON line each), so that an interrupted study resumes.

    Each job has a key (a digest of what it runs); resuming with jobs whose keys differ from the file's is an
    error, so a checkpoint never mixes two studies.
    """

    def __init__(self, path: Path, keys: list[str], resume: bool) -> None:
        self.path, self.keys, self.done = path, keys, {}
        if resume and path.is_file():
            lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
            kept, damaged = [], 0
            for line in lines:
                entry = _entry(line)
                if entry is None:  # cut short by a kill or a full disk: that run is simply run again
                    damaged += 1
                    continue
                k = entry["job"]
                if k >= len(keys) or entry["key"] != keys[k]:
                    raise UsageError(
                        f"--resume: {path} holds the runs of another study (another scenario, seed or design); "
                        "run without --resume to start again, or resume with the options it was started with"
                    )
                self.done[k] = entry["result"]
                kept.append(line)
            if damaged:
                warnings.warn(
                    f"{path}: dropped {damaged} damaged line(s) of {len(lines)}; those runs are run again",
                    CrmsimWarning,
                    stacklevel=2,
                )
                path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        else:
            path.unlink(missing_ok=True)

    def record(self, k: int, result: Any) -> None:
        """Append job `k`'s result."""
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"job": k, "key": self.keys[k], "result": result}, default=_plain) + "\n")


def _entry(line: str) -> dict | None:
    """One checkpoint line as its entry, or None if it is damaged (not JSON, or not a job's entry)."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    ok = isinstance(entry, dict) and isinstance(entry.get("job"), int) and entry["job"] >= 0
    return entry if ok and "key" in entry and "result" in entry else None


def _plain(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else str(x)


def job_key(*parts: Any) -> str:
    """A short digest of what a job runs (scenario, replication, seed...)."""
    text = "|".join(p.model_dump_json() if hasattr(p, "model_dump_json") else repr(p) for p in parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def map_jobs(
    fn: Callable,
    jobs: list[tuple],
    n_jobs: int | None,
    progress: Callable[[int], None] | None,
    cluster: str | None = None,
    checkpoint: Checkpoint | None = None,
) -> list:
    """Apply `fn` to every job tuple: serially, on local cores (joblib), or on a Dask cluster; results in job order.

    Every job carries its own seed, so where it runs never changes its result.  With a `checkpoint`, jobs it
    holds are not run again and every new result is added to it as it arrives.
    """
    if checkpoint is not None:
        todo = [k for k in range(len(jobs)) if k not in checkpoint.done]
        if progress and checkpoint.done:
            progress(len(checkpoint.done))

        def keep(k: int, res: Any) -> None:
            checkpoint.record(todo[k], res)
            if progress:
                progress(1)

        fresh = _run(fn, [jobs[k] for k in todo], n_jobs, keep, cluster)
        out = [checkpoint.done.get(k) for k in range(len(jobs))]
        for k, res in zip(todo, fresh, strict=True):
            out[k] = res
        return out
    return _run(fn, jobs, n_jobs, (lambda k, res: progress(1)) if progress else None, cluster)


def _run(fn: Callable, jobs: list[tuple], n_jobs: int | None, each: Callable | None, cluster: str | None) -> list:
    """Run the jobs where asked; `each(k, result)` is called as each finishes."""
    progress = each
    if cluster:
        return _map_dask(fn, jobs, progress, cluster)
    n_jobs = default_jobs() if n_jobs is None else n_jobs
    if n_jobs == 1 or len(jobs) <= 1:
        out = []
        for k, job in enumerate(jobs):
            out.append(fn(*job))
            if progress:
                progress(k, out[-1])
        return out
    parent = os.getpid()  # each worker exits when this process dies, however it dies
    indexed = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_indexed)(fn, k, job, parent) for k, job in enumerate(jobs)
    )
    out: list = [None] * len(jobs)
    for k, res in indexed:
        out[k] = res
        if progress:
            progress(k, res)
    return out


def _indexed(fn: Callable, k: int, job: tuple, parent: int | None = None) -> tuple[int, Any]:
    if parent is not None:
        end_with(parent)
    return k, fn(*job)


_WATCHED: set[int] = set()


def end_with(parent: int) -> None:
    """Make this worker process exit within a second of `parent` dying (a SIGKILL gives it no chance to stop us).

    A killed parent's workers are adopted by another process, so their parent id changes; a watch thread
    started once per worker sees that and ends the process, instead of computing on for minutes.
    """
    if parent in _WATCHED or parent == os.getpid():
        return
    _WATCHED.add(parent)
    threading.Thread(target=_exit_without, args=(parent,), daemon=True, name="crmsim-parent-watch").start()


def _exit_without(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _map_dask(fn: Callable, jobs: list[tuple], progress: Callable[[int, Any], None] | None, address: str) -> list:
    """Run the jobs on the Dask cluster at `address` (e.g. tcp://10.0.0.5:8786)."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ScenarioError("--cluster needs Dask: pip install 'crmsim[distributed]'") from None
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise ScenarioError(f"--cluster {address}: cannot reach a Dask scheduler there ({exc})") from None
    with client:
        futures = [client.submit(_indexed, fn, k, job, pure=False) for k, job in enumerate(jobs)]
        out: list = [None] * len(jobs)
        for _, (k, res) in as_completed(futures, with_results=True):
            out[k] = res
            if progress:
                progress(k, res)
        return out
