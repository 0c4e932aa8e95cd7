"""Scenario files: defaults, the shipped baseline, and clear errors for bad input."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sim.scenario import Scenario, ScenarioError, build_scenario, load_scenario
from sim.scenario.template import scenario_toml

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))


def test_empty_file_is_the_baseline(tmp_path):
    f = tmp_path / "empty.toml"
    f.write_text("")
    assert load_scenario(f) == Scenario()


def test_shipped_baseline_is_the_commented_template():
    """scenarios/baseline.toml documents every parameter; regenerate it with `crmsim new` if this fails."""
    text = (ROOT / "scenarios" / "baseline.toml").read_text()
    assert text == scenario_toml(Scenario())
    assert load_scenario(ROOT / "scenarios" / "baseline.toml") == Scenario()


def test_every_parameter_has_a_comment_above_it():
    lines = scenario_toml(Scenario()).splitlines()
    keys = [k for k, line in enumerate(lines) if "=" in line and not line.startswith("#") and not line.startswith(" ")]
    for k in keys:
        if lines[k].startswith("["):
            continue
        assert lines[k - 1].startswith("#"), f"no comment above: {lines[k]}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_shipped_scenarios_load(path):
    assert isinstance(load_scenario(path), Scenario)


def test_resolved_scenario_round_trips():
    sc = Scenario(name="x", horizon_months=12, segments=[{"name": "a", "share": 0.3}, {"name": "b", "share": 0.7}])
    assert build_scenario(tomllib.loads(scenario_toml(sc))) == sc


# (TOML text, words the message must contain)
BAD = {
    "wrong type": ("horizon_months = 'sixty'", ["horizon_months", "'sixty'", "integer"]),
    "unknown top-level key": ("horizon = 60", ["horizon", "unknown key", "horizon_months"]),
    "unknown nested key": ("[ladder]\nup_rat = 0.1", ["ladder.up_rat", "unknown key", "up_rate"]),
    "probability above 1": (
        "[service]\nfailure_probability = 1.5",
        ["service.failure_probability", "1.5", "less than or equal to 1"],
    ),
    "negative count": ("[population]\ncustomers = -5", ["population.customers", "-5", "greater than or equal to 0"]),
    "shares do not sum to 1": (
        "[[segments]]\nname='a'\nshare=0.5\n[[segments]]\nname='b'\nshare=0.3",
        ["segments", "sum to 0.8", "must sum to 1"],
    ),
    "rung table too short": ("[purchasing]\nreferral_rate = [0.1, 0.2]", ["purchasing.referral_rate", "at least 8"]),
    "initial rungs do not sum to 1": (
        "[[segments]]\ninitial_rungs = [0.5, 0, 0, 0, 0, 0, 0, 0]",
        ["segments[0].initial_rungs", "sum to 0.5"],
    ),
    "thresholds not increasing": (
        "[ladder]\nthresholds = [0.1, 0.05, 0.2, 0.3, 0.4, 0.5, 0.6]",
        ["ladder.thresholds", "must increase"],
    ),
    "markov without transitions": ('behaviour = "markov"', ["markov.transitions"]),
    "markov row not summing to 1": (
        'behaviour = "markov"\n[markov]\ntransitions = ' + str([[0.5] * 8] * 8),
        ["markov.transitions", "row 1", "sums to 4", "must sum to 1"],
    ),
    "markov wrong shape": ('behaviour = "markov"\n[markov]\ntransitions = [[1.0]]', ["markov.transitions", "8 rows"]),
    "unknown behaviour": ('behaviour = "neural"', ["behaviour", "'neural'", "agent", "markov"]),
    "unknown posture": ('[strategy]\nposture = "friendly"', ["strategy.posture", "transactional", "collaborative"]),
    "duplicate segment names": (
        "[[segments]]\nname='a'\nshare=0.5\n[[segments]]\nname='a'\nshare=0.5",
        ["segments", "unique"],
    ),
    "beta mean at the boundary": (
        "[[segments]]\nneed_uncertainty = {mean = 1.0}",
        ["segments[0].need_uncertainty.mean", "less than or equal to 0.999"],
    ),
    "self-orientation below 1": (
        "[firm]\nself_orientation = 0.5",
        ["firm.self_orientation", "0.5", "greater than or equal to 1"],
    ),
    "fitd interval too short": (
        "[account_growth.foot_in_the_door]\ninterval_months = 0",
        ["account_growth.foot_in_the_door.interval_months"],
    ),
    "bad TOML syntax": ("horizon_months = \nseed = 1", ["not valid TOML", "line 1"]),
}


@pytest.mark.parametrize("text,words", BAD.values(), ids=BAD.keys())
def test_bad_scenarios_name_the_field_value_and_fix(tmp_path, text, words):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(f)
    msg = str(err.value)
    assert str(f) in msg
    for w in words:
        assert w in msg, f"{w!r} missing from: {msg}"


def test_missing_file_says_so(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.toml")


def test_every_problem_is_reported_at_once(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("horizon_months = 0\nseed = -1\n[firm]\ngross_margin = 2")
    msg = str(pytest.raises(ScenarioError, load_scenario, f).value)
    for field in ("horizon_months", "seed", "firm.gross_margin"):
        assert field in msg


def test_scenario_is_frozen():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="frozen"):
        Scenario().horizon_months = 5


def test_a_partly_given_table_keeps_its_own_preset(tmp_path):
    """Setting one key of a preset table (collaborative posture, augmented offering) keeps the preset's other values."""
    f = tmp_path / "s.toml"
    f.write_text("[postures.collaborative]\nprice_index = 1.1\n[offerings.augmented]\ncost_factor = 1.5\n")
    sc = load_scenario(f)
    assert sc.postures.collaborative.price_index == 1.1 and sc.postures.collaborative.closeness == 0.9
    assert sc.offerings.augmented.cost_factor == 1.5 and sc.offerings.augmented.price_factor == 1.08
    assert sc.investments.financial.decay == 0.5  # each investment type keeps its own preset too


def test_the_template_marks_every_parameter_to_set_first():
    from sim.scenario.schema import SET_FIRST
    from sim.scenario.template import SET_FIRST_NOTE

    assert scenario_toml(Scenario()).count(SET_FIRST_NOTE) == len(SET_FIRST)  # every name still names a field


def test_every_section_has_one_concern():
    """Every section of a scenario (a field holding a model or a list of them) is in exactly one concern."""
    from pydantic import BaseModel

    from sim.scenario import SECTIONS

    def is_section(annotation) -> bool:
        inner = getattr(annotation, "__args__", (annotation,))
        return any(isinstance(a, type) and issubclass(a, BaseModel) for a in inner)

    listed = [name for names in SECTIONS.values() for name in names]
    sections = {name for name, f in Scenario.model_fields.items() if is_section(f.annotation)}
    assert len(listed) == len(set(listed)), "a section is listed under two concerns"
    assert set(listed) == sections, set(listed) ^ sections
