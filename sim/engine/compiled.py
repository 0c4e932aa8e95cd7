"""Where the compiled kernel is cached: one directory per version of the engine's source.

numba's disk cache checks only the file that defines a compiled function, not
the mechanisms it inlines from other modules: after a change to
``mechanisms/purchases.py`` alone, the cached month would still run the old
purchases.  So the engine points numba at a directory named by a hash of all
its source files (``sim/engine/**/*.py``), under the user's cache directory:
any change compiles afresh, and an unchanged engine reuses the cache.  A
``NUMBA_CACHE_DIR`` the user set is left alone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import numba

ENGINE = Path(__file__).resolve().parent
STALE_DAYS = 30  # other versions' caches unused this long are removed


def fingerprint() -> str:
    """Hash of the engine's source files: names and contents."""
    h = hashlib.sha256()
    for path in sorted(ENGINE.rglob("*.py")):
        h.update(path.relative_to(ENGINE).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def use_cache_dir() -> None:
    """Point numba's cache at this engine version's directory (before any compiled function is defined)."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "crmsim"
    here = base / f"kernel-{fingerprint()}"
    try:
        here.mkdir(parents=True, exist_ok=True)
        os.utime(here)  # marks it as in use
    except OSError:
        return  # not writable: numba's own choice (beside the package, or its user-wide cache)
    numba.config.CACHE_DIR = str(here)
    for old in base.glob("kernel-*"):
        try:
            if old != here and time.time() - old.stat().st_mtime > STALE_DAYS * 86400:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue
