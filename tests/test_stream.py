"""The customer-month table streamed to Parquet while the run goes equals the table kept in memory."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.app.cli import app
from sim.engine.simulate import simulate
from sim.experiments import run
from sim.results import stream
from tests.conftest import small

pytest.importorskip("pyarrow")

KEY = ["replication", "period", "customer"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_streamed_table_is_the_table_in_memory(tmp_path, monkeypatch, jobs):
    monkeypatch.setattr(stream, "ROWS", 1_000)  # many row groups per file
    sc = small(replications=3, population={"customers": 200, "cohorts": [0, 30, 30], "referral_pool": 0.5})
    kept = run(sc)
    streamed = run(sc, n_jobs=jobs, customer_parts=tmp_path / "customers.parquet")
    assert streamed.customers is None
    table = pd.read_parquet(tmp_path / "customers.parquet").sort_values(KEY, ignore_index=True)
    pd.testing.assert_frame_equal(table, kept.customers.sort_values(KEY, ignore_index=True))
    pd.testing.assert_frame_equal(streamed.replications, kept.replications)
    assert len(list((tmp_path / "customers.parquet").glob("part-*.parquet"))) == 3  # one file per replication


def test_a_streamed_replication_keeps_one_month_of_the_panel(tmp_path):
    sc = small()
    writer = stream.PanelParts(tmp_path / "c.parquet", sc).part(0, sc.seed)
    rep = simulate(sc, 0, sc.seed, sink=writer)
    assert rep.recorder.revenue.shape == (1, rep.customers.capacity)  # not months x customers
    assert len(pd.read_parquet(tmp_path / "c.parquet")) > sc.horizon_months * 100


def test_crmsim_run_streams_the_parquet_customer_table_and_reads_it_back(tmp_path):
    from typer.testing import CliRunner

    f = tmp_path / "tiny.toml"
    f.write_text('name = "tiny"\nhorizon_months = 12\nreplications = 2\n[population]\ncustomers = 200\n')
    args = ["run", str(f), "--customer-table", "--format", "parquet", "--out", str(tmp_path / "o")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    archive = sim.read_results(tmp_path / "o")
    expected = run(sim.load_scenario(f).with_overrides(record="customers")).customers
    pd.testing.assert_frame_equal(archive["customers"].sort_values(KEY, ignore_index=True), expected)
    assert archive.manifest["files"]["customers.parquet"] > 1000  # the folder's bytes, not its inode's
