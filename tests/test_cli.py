"""The crmsim command line, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.scenario import load_scenario

runner = CliRunner()

SMALL = """
name = "tiny"
horizon_months = 12
replications = 2
[population]
customers = 200
"""


@pytest.fixture
def tiny(tmp_path) -> Path:
    f = tmp_path / "tiny.toml"
    f.write_text(SMALL)
    return f


def test_run_writes_tables_scenario_and_plot(tiny, tmp_path):
    out = tmp_path / "out"
    args = ["run", str(tiny), "--out", str(out), "--replications", "3", "--seed", "7", "--customer-table"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    for name in (
        "replications.csv",
        "occupancy.csv",
        "customers.csv",
        "lifetimes.csv",
        "scenario.toml",
        "occupancy.png",
    ):
        assert (out / name).is_file(), name
    reps = pd.read_csv(out / "replications.csv")
    assert len(reps) == 3 and (reps["seed"] == 7).all()
    resolved = load_scenario(out / "scenario.toml")
    assert resolved.replications == 3 and resolved.seed == 7 and resolved.name == "tiny"
    assert "customer equity" in res.output and "95% interval" in res.output
    assert len(pd.read_csv(out / "customers.csv")) == len(
        pd.read_csv(out / "customers.csv").drop_duplicates(["replication", "period", "customer"])
    )


def test_run_refuses_a_non_empty_directory_unless_forced(tiny, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    keep = out / "notes.txt"
    keep.write_text("mine")
    res = runner.invoke(app, ["run", str(tiny), "--out", str(out)])
    assert res.exit_code == 2
    assert "not empty" in res.output and "--force" in res.output
    assert keep.read_text() == "mine" and not (out / "replications.csv").exists()
    res = runner.invoke(app, ["run", str(tiny), "--out", str(out), "--force", "--quiet"])
    assert res.exit_code == 2 and "not a crmsim output folder" in res.output  # a folder of yours is never replaced
    assert keep.read_text() == "mine"


def test_force_replaces_an_earlier_run_whole_and_leaves_no_stale_file(tiny, tmp_path):
    out = tmp_path / "out"
    assert (
        runner.invoke(app, ["run", str(tiny), "--out", str(out), "--seed", "1", "-q", "--customer-table"]).exit_code
        == 0
    )
    res = runner.invoke(app, ["run", str(tiny), "--out", str(out), "--seed", "2", "--force", "-q", "--format", "csv"])
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(p.name for p in out.iterdir()) == sorted([*manifest["files"], "manifest.json"])
    assert not (out / "customers.csv").exists()  # the earlier run's customer table does not outlive it
    assert manifest["command"].startswith("crmsim") and manifest["files"]["replications.csv"] > 0
    assert not list(tmp_path.glob(".out.*"))  # no staging folder left


def test_a_failed_run_leaves_no_output_folder(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[compare.variants.a]\n"strategy.account_growth" = "none"\n')
    out = tmp_path / "never"
    res = runner.invoke(app, ["compare", str(bad), "--out", str(out), "-b", "missing", "-r", "2"])
    assert res.exit_code == 2
    assert not out.exists() and not list(tmp_path.glob(".never.*"))


def test_bad_scenario_exits_non_zero_without_traceback(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[ladder]\nup_rate = 3")
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(f), "--out", str(tmp_path / "o")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "ladder.up_rate" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
    assert not (tmp_path / "o").exists()


def test_validate_and_new(tmp_path):
    f = tmp_path / "mine.toml"
    assert runner.invoke(app, ["new", str(f)]).exit_code == 0
    assert load_scenario(f).name == "mine"
    res = runner.invoke(app, ["new", str(f)])
    assert res.exit_code == 2 and "exists" in res.output
    res = runner.invoke(app, ["validate", str(f)])
    assert res.exit_code == 0 and "valid" in res.output


def test_help_explains_every_command():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("run", "validate", "new"):
        assert cmd in res.output
    res = runner.invoke(app, ["run", "--help"])
    for opt in ("--replications", "--seed", "--out", "--force", "--format", "--quiet"):
        assert opt in res.output


def _commands() -> dict[tuple[str, ...], object]:
    """Every command and subcommand of crmsim, by its words after `crmsim`, as click sees it."""
    import typer.main

    group = typer.main.get_command(app)
    found = {(name,): cmd for name, cmd in group.commands.items() if name != "optimize"}
    return found | {("optimize", name): cmd for name, cmd in group.commands["optimize"].commands.items()}


def test_every_command_takes_h_for_help():
    """-h is --help everywhere, as in pip, git and most of the ecosystem."""
    for command in [(), ("optimize",), *_commands()]:
        short, long = runner.invoke(app, [*command, "-h"]), runner.invoke(app, [*command, "--help"])
        assert short.exit_code == 0 and short.output == long.output, command


CALIBRATE = ["x.csv", "--calibration-end", "2020-01-01", "--out", "c.toml"]  # its required arguments


@pytest.mark.parametrize(
    "command, required, option, bad, choices",
    [
        (["run"], ["x.toml"], "--format", "xlsx", ["csv", "parquet"]),
        (["calibrate"], CALIBRATE, "--model", "arima", ["bgnbd", "bgbb", "agent"]),
        (["calibrate"], CALIBRATE, "--period", "week", ["year", "quarter", "month"]),
        (["optimize", "portfolio"], ["x.toml"], "--level", "planet", ["segment", "customer"]),
        (["sweep"], ["x.toml"], "--method", "random", ["grid", "lhs"]),
        (["sensitivity"], ["x.toml"], "--method", "fast", ["morris", "sobol"]),
    ],
)
def test_choice_options_list_their_values_in_help_and_in_one_error_line(command, required, option, bad, choices):
    assert "|".join(choices) in runner.invoke(app, [*command, "-h"]).output
    res = runner.invoke(app, [*command, *required, option, bad])
    assert res.exit_code == 2 and res.output.startswith("error:") and len(res.output.strip().splitlines()) == 1
    assert all(repr(c) in res.output for c in choices) and f"crmsim {' '.join(command)} -h" in res.output


def test_a_short_option_means_one_thing_in_every_command():
    meaning: dict[str, set[str]] = {}
    for cmd in _commands().values():
        for param in cmd.params:
            long = max(param.opts, key=len)
            for short in (o for o in param.opts if len(o) == 2):
                meaning.setdefault(short, set()).add(long)
    assert {k: v for k, v in meaning.items() if len(v) > 1} == {}


@pytest.mark.parametrize(
    "command, shown",
    [
        (["sweep"], ["[sweep]", "[compare]", "[sweep.parameters]"]),
        (["compare"], ["[compare.variants.*]"]),
        (["optimize", "migration"], ["[migration]"]),
        (["run"], ["crmsim[parquet]"]),
    ],
)
def test_help_shows_scenario_table_names(command, shown):
    """Rich reads [name] as markup and drops it unless escaped: the table names must survive."""
    res = runner.invoke(app, [*command, "--help"])
    assert res.exit_code == 0
    for text in shown:
        assert text in res.output


def test_parquet_format_is_rejected_clearly_without_pyarrow(tiny, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    res = runner.invoke(app, ["run", str(tiny), "--out", str(tmp_path / "p"), "--format", "parquet"])
    assert res.exit_code == 2 and "crmsim[parquet]" in res.output


def _broken_inputs(tmp_path: Path, tiny: Path) -> dict[str, list[str]]:
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date,amount\na,2020-01-01,10\nb,2020-01-02,12\n")
    bad = tmp_path / "bad.toml"
    bad.write_text("horizon_months = -3\n")
    out = str(tmp_path / "o")
    return {
        "scenario": ["run", str(bad), "--out", out],
        "variant": ["compare", str(tiny), "-v", "no-colon-here", "--out", out],
        "kpi": ["sweep", str(tiny), "-p", "firm.gross_margin=0.3,0.4", "--kpi", "happiness", "--out", out],
        "calibration": ["calibrate", str(log), "--calibration-end", "2020-01-01", "--out", str(tmp_path / "c.toml")],
        "optimization": ["optimize", "portfolio", str(tiny), "--level", "planet", "--out", out],
        "format": ["run", str(tiny), "--format", "xlsx", "--out", out],
    }


@pytest.mark.parametrize("case", ["scenario", "variant", "kpi", "calibration", "optimization", "format"])
def test_every_user_error_is_one_line_and_exit_code_2(case, tiny, tmp_path):
    res = runner.invoke(app, _broken_inputs(tmp_path, tiny)[case])
    assert res.exit_code == 2, (res.output, res.exception)
    assert "error:" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists()  # refused before anything runs, or the staging folder was discarded


def test_compare_on_a_bgnbd_scenario_names_the_levers_it_ignores(tmp_path):
    f = tmp_path / "btyd.toml"
    text = (
        SMALL.replace('name = "tiny"', 'name = "tiny"\nbehaviour = "bgnbd"')
        + "[[segments]]\n[segments.buy_till_you_die]\n"
    )
    f.write_text(text)
    args = ["compare", str(f), "-v", "aao:strategy.account_growth=all_at_once", "-r", "2", "--out", str(tmp_path / "o")]
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "never reads strategy.account_growth" in res.output and "Traceback" not in res.output


def test_one_variant_is_compared_with_the_scenario_as_written(tiny, tmp_path):
    out = tmp_path / "o"
    args = ["compare", str(tiny), "-v", "collab:strategy.posture=collaborative", "-r", "2", "--out", str(out), "-q"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    diff = pd.read_csv(out / "differences.csv")
    assert set(diff.baseline) == {"baseline"} and set(diff.variant) == {"collab"}


BAD_FILES = {
    "plan-int": "[migration]\nplan = 5\n",
    "deep-array": "x = " + "[" * 100 + "1" + "]" * 100 + "\n",
    "nan": "[competition]\nswitch_intercept = nan\n",
    "inf": "[postures.transactional]\ncost_to_serve = inf\n",
    "bool-count": "[population]\ncustomers = true\n",
    "string-number": 'horizon_months = "24"\n',
    "huge-pool": "[population]\ncustomers = 80\nreferral_pool = 1e6\n",
    "huge-wallet": "[[segments]]\nwallet_median = 1e300\n",
    "empty-sweep": '[sweep.parameters]\n"firm.gross_margin" = []\n',
    "bad-variant-value": '[compare.variants.x]\n"firm.gross_margin" = "high"\n',
    # The audit of issue 35: each validated before, and ran to NaN money, absurd money or a failed study.
    "beta-huge": "[[segments]]\nproduct_need_fit = {mean = 0.6, concentration = 1e308}\n",
    "beta-tiny": "[[segments]]\nneed_uncertainty = {mean = 0.4, concentration = 5e-324}\n",
    "markov-margins": "[markov]\nmargins = [1e300, 0, 0, 0, 0, 0, 0, 0]\n",
    "seed-2**64": f"seed = {2**64}\n",
    "lhs-reversed": '[sweep]\nmethod = "lhs"\n[sweep.parameters]\n"firm.gross_margin" = [0.5, 0.3]\n',
    "lhs-three": '[sweep]\nmethod = "lhs"\n[sweep.parameters]\n"firm.gross_margin" = [0.3, 0.4, 0.5]\n',
    "lhs-enum": '[sweep]\nmethod = "lhs"\n[sweep.parameters]\n"strategy.posture" = ["collaborative", "x"]\n',
    "sensitivity-reversed": '[sensitivity.parameters]\n"firm.gross_margin" = [0.5, 0.3]\n',
    "sensitivity-kpi": '[sensitivity]\nkpi = "nosuch"\n',
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_reproducers_of_bad_input_are_one_clean_line(tmp_path, case):
    f = tmp_path / "bad.toml"
    f.write_text(BAD_FILES[case])
    res = runner.invoke(app, ["validate", str(f)])
    assert res.exit_code == 2, res.output
    assert "error:" in res.output and "Traceback" not in res.output


def test_an_unexpected_error_is_one_line_and_a_log_file():
    code = "import sim.app.cli as c\ndef boom(*a, **k): raise ZeroDivisionError('x')\nc.app = boom\nc.main()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert "unexpected ZeroDivisionError" in done.stderr and "Traceback" not in done.stderr
    log = Path(done.stderr.split("the traceback is in ")[1].split(";")[0].strip())
    assert "ZeroDivisionError" in log.read_text()


def test_a_run_that_cannot_fit_refuses_before_it_starts(tmp_path):
    f = tmp_path / "huge.toml"
    f.write_text("[population]\ncustomers = 10000000\n")
    res = runner.invoke(app, ["run", str(f), "--customer-table", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert "GiB" in res.output and 'record = "aggregates"' in res.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["optimize", "migration", "--budget", "nan"], "--budget nan"),
        (["optimize", "migration", "--budget", "1e12"], "between 0 and 1e9"),
        (["optimize", "portfolio", "--capacity", "1e-9"], "--capacity 1e-09"),
        (["optimize", "portfolio", "--capacity", "nan"], "--capacity nan"),
    ],
)
def test_optimizer_inputs_are_checked(tiny, tmp_path, args, message):
    res = runner.invoke(app, [*args[:2], str(tiny), *args[2:], "-r", "2", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and message in res.output, res.output


def test_an_interrupted_sweep_resumes_to_the_same_summary(tiny, tmp_path, interrupt):
    args = ["sweep", str(tiny), "-p", "firm.gross_margin=0.3,0.4,0.5", "-r", "2", "-j", "1", "-q"]
    whole = tmp_path / "whole"
    assert runner.invoke(app, [*args, "--out", str(whole)]).exit_code == 0

    resumed = tmp_path / "resumed"
    resume = interrupt("sim.experiments.sweep", 4)
    runner.invoke(app, [*args, "--out", str(resumed)])
    assert not resumed.exists()  # nothing that looks complete
    kept = tmp_path / "resumed.checkpoint.jsonl"
    assert len(kept.read_text().splitlines()) == 4
    resume()
    res = runner.invoke(app, [*args, "--out", str(resumed), "--resume"])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(pd.read_csv(resumed / "summary.csv"), pd.read_csv(whole / "summary.csv"))
    pd.testing.assert_frame_equal(pd.read_csv(resumed / "sweep.csv"), pd.read_csv(whole / "sweep.csv"))
    assert not kept.exists()


def test_an_interrupted_compare_resumes_to_the_same_differences(tiny, tmp_path, interrupt):
    args = ["compare", str(tiny), "-v", "collab:strategy.posture=collaborative", "-r", "3", "-j", "1", "-q"]
    whole = tmp_path / "whole"
    assert runner.invoke(app, [*args, "--out", str(whole)]).exit_code == 0
    resumed = tmp_path / "resumed"
    resume = interrupt("sim.experiments.compare", 2)
    runner.invoke(app, [*args, "--out", str(resumed)])
    assert not resumed.exists() and (tmp_path / "resumed.checkpoint.jsonl").is_file()
    resume()
    assert runner.invoke(app, [*args, "--out", str(resumed), "--resume"]).exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(resumed / "differences.csv"), pd.read_csv(whole / "differences.csv"))


def test_undefined_kpis_print_as_a_dash_with_a_note():
    import pandas as pd

    from sim.app.console import UNDEFINED_NOTE, fmt, summary_table

    assert fmt(float("nan")) == "-" and fmt(12345.6) == "12,346"
    row = {"kpi": ["time_to_commitment"], "mean": [float("nan")], "ci_low": [float("nan")], "ci_high": [float("nan")]}
    table = summary_table(pd.DataFrame({**row, "replications": [3]}), "t")
    assert table.caption == UNDEFINED_NOTE


def test_compare_and_sweep_tables_fit_80_columns_and_name_the_variants(tiny, tmp_path, monkeypatch):
    from sim.app import console

    monkeypatch.setattr(console.out_console, "width", 80)
    variants = ["-v", "eop:strategy.prospecting=event_oriented", "-v", "aao:strategy.account_growth=all_at_once"]
    res = runner.invoke(app, ["compare", str(tiny), *variants, "-r", "2", "-j", "1", "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "eop against baseline" in res.output and "aao against baseline" in res.output
    sweep = ["-p", "segments[*].need_uncertainty.mean=0.2,0.8", "-p", "segments[*].wallet_median=500,2000"]
    res2 = runner.invoke(app, ["sweep", str(tiny), *sweep, "-r", "2", "-j", "1", "--out", str(tmp_path / "s")])
    assert res2.exit_code == 0, res2.output
    assert "need uncertainty mean: segments[*].need_uncertainty.mean" in " ".join(res2.output.split())
    for line in (res.output + res2.output).splitlines():
        assert len(line) <= 80, line


def test_holdings_of_solver_round_off_are_not_held():
    from optimize.portfolio import held

    assert not held([1e-13, 1e-13]).any()  # "holds 2 of 2 segments" was printed for these
    assert list(held([0.0, 0.4, 1e-9, 120.0])) == [False, True, False, True]


def test_compare_decomposes_the_lifetime_value_gap_and_the_profit_gap_by_knock_out(tiny, tmp_path):
    study = tmp_path / "study.toml"
    study.write_text(
        tiny.read_text()
        + """
[compare]
baseline = "fitd"
rival = "aao"
[compare.knockouts]
"consistency uplift" = "fitd_without_consistency"
[compare.variants.fitd]
"strategy.account_growth" = "foot_in_the_door"
[compare.variants.aao]
"strategy.account_growth" = "all_at_once"
[compare.variants.fitd_without_consistency]
"strategy.account_growth" = "foot_in_the_door"
"account_growth.foot_in_the_door.consistency_effect" = 0.0
"""
    )
    out = tmp_path / "c"
    res = runner.invoke(app, ["compare", str(study), "-r", "3", "-j", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    d = pd.read_csv(out / "decomposition.csv").set_index("kpi")
    table = pd.read_csv(out / "comparison.csv").set_index(["variant", "replication"])
    for kpi in ("customer_equity", "profit"):  # each gap is its own KPI's: full minus rival, paired
        gap = (table.loc["fitd", kpi] - table.loc["aao", kpi]).mean()
        assert d.loc[kpi, "gap"] == pytest.approx(gap)
    text = " ".join(res.output.split())
    assert "customer equity (lifetime) gap to aao" in text and "profit (undiscounted) gap to aao" in text
