"""Scenario discovery: PRIM finds the region where a variant wins, on a case whose answer is known exactly."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.errors import UsageError
from sim.experiments.discovery import discover
from tests.conftest import small

pytest.importorskip("ema_workbench")

# On the same draws revenue is exactly proportional to the wallet median, so a variant that fixes the median at
# 1,000 earns more revenue exactly where the point's median is below 1,000; the price rise (no policy) and the
# hazard's small range must not be needed to describe that region.
WALLET = "segments[0].wallet_median"
RANGES = {WALLET: [200.0, 3000.0], "portfolio_policy.price_rise": [0.0, 0.3]}


def fixed_wallet():
    return small(compare={"variants": {"fixed_wallet": {WALLET: 1000.0}}})


def test_prim_finds_the_known_region_with_its_coverage_and_density():
    res = discover(fixed_wallet(), RANGES, "revenue", "fixed_wallet", samples=60, replications=2, n_jobs=1)
    assert (res.points["case"] == (res.points[WALLET] < 1000.0)).all()  # the cases are exactly the known region
    box = res.boxes[res.boxes["chosen"]].set_index("parameter")
    assert list(box.index) == [WALLET]  # the inert parameter is not restricted
    below = res.points.loc[res.points["case"], WALLET].max()
    above = res.points.loc[~res.points["case"], WALLET].min()
    assert below <= box.loc[WALLET, "high"] < above  # the box's edge falls between the last win and the first loss
    assert box.loc[WALLET, "coverage"] == 1.0 and box.loc[WALLET, "density"] == 1.0
    assert box.loc[WALLET, "ci_low"] > 0  # inside the box the variant's revenue is higher, paired
    assert {"coverage", "density", "res_dim", "restricted"} <= set(res.trajectory.columns)
    assert len(res.experiments) == 60 * 2 * 2
    assert f"{WALLET} <= " in res.tree and "price_rise" not in res.tree  # the tree splits on the wallet only


def test_a_variant_that_never_wins_gets_the_whole_space_and_bad_input_is_refused():
    # Above 1,000 the variant never wins: the answer is the whole space, said plainly, not an error.
    none = discover(fixed_wallet(), {WALLET: [1500.0, 3000.0]}, "revenue", "fixed_wallet", samples=20, replications=2)
    assert not none.points["case"].any() and none.boxes["density"].eq(0.0).all()
    assert list(none.boxes["low"]) == [1500.0] and "scenario does better at every one" in none.tree
    with pytest.raises(UsageError, match="threshold"):
        discover(fixed_wallet(), RANGES, "revenue", "fixed_wallet", samples=20, replications=2, threshold=1.5)
    with pytest.raises(UsageError, match="not a \\[compare\\] variant"):
        discover(fixed_wallet(), RANGES, "revenue", "nope", samples=20, replications=2)


def test_the_command_writes_boxes_trajectory_and_figure(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        '[population]\ncustomers = 300\n[compare.variants.fixed_wallet]\n"segments[0].wallet_median" = 1000.0\n'
    )
    out = tmp_path / "out"
    args = ["discover", str(scenario), "-v", "fixed_wallet", "--kpi", "revenue", "--samples", "30", "-r", "2"]
    args += ["-p", f"{WALLET}=200,3000", "-j", "1", "-o", str(out), "-q"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    boxes = pd.read_csv(out / "boxes.csv")
    assert list(boxes.columns[:5]) == ["box", "chosen", "parameter", "low", "high"]
    assert boxes.groupby("box")["chosen"].first().sum() == 1
    for name in ("experiments.csv", "points.csv", "trajectory.csv", "tree.txt", "discovery.png", "discovery.svg"):
        assert (out / name).is_file()
