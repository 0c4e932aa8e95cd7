"""Parallel workers end with their parent: a SIGKILLed `-j 2` study leaves no process computing on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

psutil = pytest.importorskip("psutil")  # installed with the test extra (Dask needs it)

BIG = 'name = "big"\nhorizon_months = 60\nreplications = 2\n[population]\ncustomers = 20000\n'


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_a_killed_compares_workers_exit_within_seconds(tmp_path):
    f = tmp_path / "big.toml"
    f.write_text(BIG)
    args = ["compare", str(f), "-v", "c:strategy.posture=collaborative", "-r", "40", "-j", "2", "-q"]
    parent = subprocess.Popen([sys.executable, "-m", "sim", *args, "--out", str(tmp_path / "o")])
    try:
        deadline = time.monotonic() + 120
        workers: list = []
        while time.monotonic() < deadline and parent.poll() is None:
            workers = psutil.Process(parent.pid).children(recursive=True)
            if len([w for w in workers if "loky" in " ".join(w.cmdline())]) >= 2:
                break
            time.sleep(0.2)
        assert parent.poll() is None and len(workers) >= 2, "the study ended or never started its workers"
        time.sleep(1.0)  # the workers are computing
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, [(p.pid, p.cmdline()[:3]) for p in alive]
    finally:
        if parent.poll() is None:
            parent.kill()
