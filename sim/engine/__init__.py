"""The engine layer: streams, population, customer state, mechanisms, modes, the market, strategies, records.

Modules here import the scenario layer and nothing above it; nothing here does file I/O or printing, except
choosing the compiled kernel's cache directory (:mod:`sim.engine.compiled`), which must happen first.
"""

from sim.engine.compiled import use_cache_dir

use_cache_dir()
