"""No file of the user's is lost: --force, staging, locks, calibrate's file set, disk failures and checkpoints.

Each test is a reproducer from the audit (issue 35): what the user had on disk before the command is there after it.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.app.staging import TargetLock
from sim.errors import CrmsimWarning

runner = CliRunner()

SMALL = 'name = "tiny"\nhorizon_months = 12\nreplications = 2\n[population]\ncustomers = 200\n'


@pytest.fixture
def tiny(tmp_path) -> Path:
    f = tmp_path / "tiny.toml"
    f.write_text(SMALL)
    return f


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p.name for p in parent.glob(f".{name}*"))


def test_force_never_replaces_a_folder_that_merely_holds_a_manifest(tiny, tmp_path):
    web = tmp_path / "site"
    web.mkdir()
    (web / "manifest.json").write_text('{"name": "my web app", "icons": []}')
    (web / "index.html").write_text("<html></html>")
    (web / "app.js").write_text("console.log(1)")
    before = _snapshot(web)
    for args in (
        ["run", str(tiny), "--force"],
        ["compare", str(tiny), "-v", "c:strategy.posture=collaborative", "--resume"],
    ):
        res = runner.invoke(app, [*args, "--out", str(web), "-q", "-r", "2"])
        assert res.exit_code == 2, res.output
        assert "not a crmsim output folder" in res.output
    assert _snapshot(web) == before and _leftovers(tmp_path, "site") == []


def test_force_refuses_a_crmsim_folder_with_a_file_of_yours_added_or_changed(tiny, tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(tiny), "--out", str(out), "-s", "1", "-q"]).exit_code == 0
    (out / "my_notes.txt").write_text("keep me")
    res = runner.invoke(app, ["run", str(tiny), "--out", str(out), "-s", "2", "--force", "-q"])
    assert res.exit_code == 2 and "my_notes.txt" in res.output, res.output
    assert (out / "my_notes.txt").read_text() == "keep me"
    (out / "my_notes.txt").unlink()
    with (out / "replications.csv").open("a") as f:
        f.write("# my edit\n")
    res = runner.invoke(app, ["run", str(tiny), "--out", str(out), "-s", "2", "--force", "-q"])
    assert res.exit_code == 2 and "changed after crmsim wrote them (replications.csv)" in res.output, res.output
    assert (out / "replications.csv").read_text().endswith("# my edit\n")


def test_force_replaces_an_untouched_run_folder_whole(tiny, tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(app, ["run", str(tiny), "--out", str(out), "-s", "1", "-q"]).exit_code == 0
    res = runner.invoke(app, ["run", str(tiny), "--out", str(out), "-s", "2", "--force", "-q"])
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["seed"] == 2 and manifest["crmsim"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*manifest["files"], "manifest.json"])
    assert (pd.read_csv(out / "replications.csv")["seed"] == 2).all()
    assert _leftovers(tmp_path, "out") == []


def test_a_second_writer_to_the_same_out_fails_before_it_works(tiny, tmp_path):
    out = tmp_path / "out"
    held = TargetLock(out)  # another crmsim command is writing there
    try:
        res = runner.invoke(app, ["run", str(tiny), "--out", str(out), "-q"])
        assert res.exit_code == 2 and "another crmsim command" in res.output and str(os.getpid()) in res.output
        assert not out.exists()
    finally:
        held.release()
    assert runner.invoke(app, ["run", str(tiny), "--out", str(out), "-q"]).exit_code == 0
    assert _leftovers(tmp_path, "out") == []  # no lock file, no staging


def test_two_runs_at_once_never_mix_their_files(tmp_path):
    slow = tmp_path / "slow.toml"
    slow.write_text(SMALL)
    out = tmp_path / "out"
    args = ["run", str(slow), "--out", str(out), "-q", "--force"]
    # The first command sleeps in its simulation, so the second starts while the first is still writing.
    sleepy = (
        "import sys, time, sim.experiments as e\nreal = e.run\n"
        "def slow(*a, **k):\n    time.sleep(8)\n    return real(*a, **k)\n"
        "e.run = slow\nfrom sim.app.cli import main\nsys.argv = ['crmsim', *sys.argv[1:]]\nmain()"
    )
    command = [sys.executable, "-m", "sim", *args]
    first = subprocess.Popen(
        [sys.executable, "-c", sleepy, *args, "-s", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / ".out.lock").exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run([*command[:3], *args, "-s", "2"], capture_output=True, text=True)
    still_running = first.poll() is None
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert still_running, "the first run ended before the second started: make it slower"
    assert second.returncode == 2 and "another crmsim command" in second.stderr, second.stderr
    assert "Traceback" not in second.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"]["seed"] == 1 and (pd.read_csv(out / "replications.csv")["seed"] == 1).all()


def test_a_killed_runs_staging_is_cleared_by_the_next_one(tiny, tmp_path):
    dead = tmp_path / ".out.partial-999999999-abcd"  # no process has this id
    dead.mkdir()
    (dead / "replications.csv").write_text("half")
    assert runner.invoke(app, ["run", str(tiny), "--out", str(tmp_path / "out"), "-q"]).exit_code == 0
    assert not dead.exists()


def test_a_dangling_symlink_out_is_one_clean_line(tiny, tmp_path):
    link = tmp_path / "results"
    link.symlink_to(tmp_path / "nowhere")
    res = runner.invoke(app, ["run", str(tiny), "--out", str(link), "-q"])
    assert res.exit_code == 2 and "symbolic link" in res.output, res.output
    assert link.is_symlink() and _leftovers(tmp_path, "results") == [] and _leftovers(tmp_path, "nowhere") == []


def test_a_symlink_to_a_folder_is_followed(tiny, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "results"
    link.symlink_to(real)
    assert runner.invoke(app, ["run", str(tiny), "--out", str(link), "-q"]).exit_code == 0
    assert link.is_symlink() and (real / "manifest.json").is_file()


@pytest.mark.parametrize("code, text", [(errno.ENOSPC, "No space left on device"), (errno.EACCES, "Permission denied")])
def test_a_full_disk_or_a_read_only_folder_is_one_line_and_leaves_nothing(tiny, tmp_path, monkeypatch, code, text):
    import sim.viz.plotting as plotting

    def no_room(fig, path, *args, **kwargs):
        raise OSError(code, text, str(path))

    monkeypatch.setattr(plotting, "save_figure", no_room)
    res = runner.invoke(app, ["run", str(tiny), "--out", str(tmp_path / "out"), "-q"])
    assert res.exit_code == 2 and text in res.output and "Traceback" not in res.output, res.output
    assert not (tmp_path / "out").exists() and _leftovers(tmp_path, "out") == []


def test_an_out_under_a_file_is_one_line(tiny, tmp_path):
    (tmp_path / "a_file").write_text("x")
    res = runner.invoke(app, ["run", str(tiny), "--out", str(tmp_path / "a_file" / "out"), "-q"])
    assert res.exit_code == 2 and "cannot create" in res.output, res.output


def test_seed_beyond_64_bits_is_refused_at_validate(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(f"seed = {2**64}\n")
    res = runner.invoke(app, ["validate", str(f)])
    assert res.exit_code == 2 and "seed" in res.output, res.output


# --- calibrate: one staged set of files, never over its input ---------------------------------------------------


@pytest.fixture
def shop_log(tmp_path) -> Path:
    rng = np.random.default_rng(5)
    rows = []
    for i in range(300):  # customers who differ: a Gamma purchase rate, a Gamma mean spend
        rate, spend = rng.gamma(1.5, 1 / 60), rng.gamma(4.0, 5.0)
        days = np.unique(np.concatenate([[0], rng.uniform(0, 600, rng.poisson(rate * 600))]).astype(int))
        start = int(rng.integers(0, 90))
        rows += [(f"c{i}", pd.Timestamp("2020-01-01") + pd.Timedelta(days=start + d), round(spend, 2)) for d in days]
    log = tmp_path / "shop.csv"
    pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).to_csv(log, index=False)
    return log


def _calibrate(log: Path, out: Path, *extra: str):
    args = ["calibrate", str(log), "--calibration-end", "2020-12-31", "--out", str(out), "-r", "2", "-q", *extra]
    return runner.invoke(app, args)


def test_calibrate_writes_one_set_with_a_manifest(shop_log, tmp_path):
    out = tmp_path / "d" / "shop.toml"
    res = _calibrate(shop_log, out)
    assert res.exit_code == 0, res.output
    manifest = json.loads((out.parent / "shop.manifest.json").read_text())
    assert manifest["crmsim"] and manifest["input"]["file"] == str(shop_log) and len(manifest["input"]["sha256"]) == 64
    expected = {"shop.toml", "shop.parameters.csv", "shop.rfm.csv", "shop.tracking.csv", "shop.tracking.png"}
    assert expected <= set(manifest["files"]) and "shop.conditional.csv" in manifest["files"]
    assert sorted(p.name for p in out.parent.iterdir()) == sorted([*manifest["files"], "shop.manifest.json"])


def test_calibrate_never_overwrites_a_sidecar_without_force(shop_log, tmp_path):
    out = tmp_path / "shop.toml"
    mine = tmp_path / "shop.rfm.csv"
    mine.write_text("my own RFM table")
    res = _calibrate(shop_log, out)
    assert res.exit_code == 2 and "shop.rfm.csv" in res.output and "--force" in res.output, res.output
    assert mine.read_text() == "my own RFM table" and not out.exists()
    assert _calibrate(shop_log, out, "--force").exit_code == 0
    assert mine.read_text() != "my own RFM table" and out.is_file()


def test_calibrate_never_writes_over_its_input_even_with_force(shop_log, tmp_path):
    log = tmp_path / "shop.rfm.csv"
    log.write_bytes(shop_log.read_bytes())
    before = log.read_bytes()
    for extra in ((), ("--force",)):
        res = _calibrate(log, tmp_path / "shop.toml", *extra)
        assert res.exit_code == 2 and "over the input" in res.output, res.output
    assert log.read_bytes() == before and not (tmp_path / "shop.toml").exists()


def test_calibrate_on_a_full_disk_leaves_no_complete_looking_scenario(shop_log, tmp_path, monkeypatch):
    import sim.viz.plotting as plotting

    def no_room(fig, path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(plotting, "save_figure", no_room)
    out = tmp_path / "cal.toml"
    res = _calibrate(shop_log, out)
    assert res.exit_code == 2 and "No space left" in res.output, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.csv"]  # nothing written, no staging left


def test_calibrate_force_removes_the_earlier_sets_own_extra_files_only(shop_log, tmp_path):
    out = tmp_path / "shop.toml"
    assert _calibrate(shop_log, out).exit_code == 0
    manifest = json.loads((tmp_path / "shop.manifest.json").read_text())
    manifest["files"]["shop.old_extra.csv"] = 3  # a file an earlier version of the set wrote
    (tmp_path / "shop.manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "shop.old_extra.csv").write_text("old")
    (tmp_path / "shop.mine.csv").write_text("not in any manifest")
    assert _calibrate(shop_log, out, "--force").exit_code == 0
    assert not (tmp_path / "shop.old_extra.csv").exists() and (tmp_path / "shop.mine.csv").read_text()


# --- checkpoints -----------------------------------------------------------------------------------------------


def test_a_truncated_checkpoint_line_is_dropped_and_the_study_resumes(tiny, tmp_path, interrupt):
    args = ["sweep", str(tiny), "-p", "firm.gross_margin=0.3,0.4", "-r", "2", "-j", "1", "-q"]
    whole = tmp_path / "whole"
    assert runner.invoke(app, [*args, "--out", str(whole)]).exit_code == 0
    resume = interrupt("sim.experiments.sweep", 3)
    resumed = tmp_path / "resumed"
    runner.invoke(app, [*args, "--out", str(resumed)])
    kept = tmp_path / "resumed.checkpoint.jsonl"
    text = kept.read_text()
    kept.write_text(text[: len(text) - len(text.splitlines()[-1]) // 2 - 1])  # the last line cut half-way by a kill
    resume()
    with pytest.warns(CrmsimWarning, match="dropped 1 damaged line"):
        res = runner.invoke(app, [*args, "--out", str(resumed), "--resume"])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_csv(resumed / "sweep.csv"), pd.read_csv(whole / "sweep.csv"))


def test_a_checkpoint_of_another_scenario_is_refused(tiny, tmp_path, interrupt):
    args = ["sweep", str(tiny), "-p", "firm.gross_margin=0.3,0.4", "-r", "2", "-j", "1", "-q", "--out"]
    resume = interrupt("sim.experiments.sweep", 1)
    runner.invoke(app, [*args, str(tmp_path / "o")])
    resume()
    tiny.write_text(SMALL.replace("customers = 200", "customers = 210"))
    res = runner.invoke(app, [*args, str(tmp_path / "o"), "--resume"])
    assert res.exit_code == 2 and "another study" in res.output, res.output


def test_crmsims_warnings_print_as_one_line(capsys):
    from sim.app import console

    console._show_warning(CrmsimWarning("dropped 1 damaged line"), CrmsimWarning, "x.py", 1)
    assert capsys.readouterr().err.strip() == "warning: dropped 1 damaged line"
