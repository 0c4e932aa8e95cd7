"""A few hundred mutated scenario files: each is refused with a clean error or runs with finite money."""

from __future__ import annotations

import pytest

from tests.fuzz import fuzz


@pytest.mark.slow
def test_mutated_scenarios_never_crash(tmp_path):
    counts = fuzz(300, seed=11, workdir=tmp_path)
    failures = {k: v for k, v in counts.items() if k.startswith("failed")}
    assert not failures, counts
    assert counts["refused"] > 100 and counts["ran"] > 10  # the mutations do reach both outcomes
