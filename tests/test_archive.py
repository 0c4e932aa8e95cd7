"""Every output folder reads back: the manifest says what ran, and the tables come back as they were computed."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import sim
from sim.app.cli import app
from sim.errors import UsageError
from sim.scenario.template import scenario_toml


def test_a_run_folder_reads_back_as_the_results_computed_in_python(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text("seed = 42\nreplications = 3\nhorizon_months = 12\n[population]\ncustomers = 300\n")
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["run", str(scenario), "-o", str(out), "-q", "-j", "1"])
    assert done.exit_code == 0, done.output
    archive = sim.read_results(out)
    sc = sim.load_scenario(scenario)
    expected = sim.run(sc).replications.reset_index(drop=True)
    got = archive["replications"][expected.columns]
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    m = archive.manifest
    assert m["scenario"]["sha256"] == hashlib.sha256(scenario_toml(sc).encode("utf-8")).hexdigest()
    assert m["scenario"]["seed"] == 42 and m["scenario"]["replications"] == 3
    assert m["seconds"] > 0 and {"python", "numpy", "numba"} <= set(m["versions"])
    assert set(archive.tables) | set(archive.files) | {"manifest.json"} >= set(m["files"])
    assert np.isfinite(archive["occupancy.csv"]["customers"]).all()


def test_a_folder_without_a_manifest_is_refused(tmp_path):
    with pytest.raises(UsageError, match="no manifest.json"):
        sim.read_results(tmp_path)
