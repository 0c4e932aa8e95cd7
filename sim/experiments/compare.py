"""Strategy comparisons on common random numbers: every variant meets the same customers and draws.

Every run of every variant uses the same root seed, so replication r meets
the same customers and the same draws everywhere: differences between
variants are paired, and their variance is far smaller than with
independent seeds (measured in the tests and in README).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.engine.modes import check_levers
from sim.errors import UsageError
from sim.experiments.executors import Checkpoint, job_key, map_jobs
from sim.experiments.runs import check_runs, kpis
from sim.results.kpis import HEADLINE, verdict
from sim.results.stats import mean_interval
from sim.scenario import Scenario, ScenarioError
from sim.scenario.overrides import apply

COMPARE_KPIS = HEADLINE  # the KPIs a comparison reports first (all KPIs are in the tables)


def variants_of(scenario: Scenario, variants: dict[str, dict[str, Any]] | None) -> dict[str, Scenario]:
    """Each named variant of the scenario, validated; a variant that only moves levers its mode ignores is an error."""
    spec = scenario.compare.variants if variants is None else variants
    if not spec:
        raise ScenarioError(
            "no variants to compare: add [compare.variants.NAME] tables to the scenario "
            '(e.g. "strategy.account_growth" = "all_at_once") or pass --variant NAME:PATH=VALUE'
        )
    out = {}
    for name, changes in spec.items():
        out[name] = apply(scenario, changes)
        check_levers(out[name], changes, f"variant {name}")
    return out


def paired_arms(scenario: Scenario, variant: str) -> dict[str, dict[str, Any]]:
    """The comparison's baseline (or the scenario as it is) and `variant`, baseline first: two arms on one seed."""
    cmp = scenario.compare
    if variant not in cmp.variants:
        raise UsageError(
            f"--variant {variant}: not a [compare] variant of this scenario; choose one of {list(cmp.variants)}"
        )
    base = cmp.baseline or "scenario"
    if base == variant:
        raise UsageError(f"--variant {variant}: it is the comparison's baseline; choose another variant")
    return {base: cmp.variants.get(base, {}), variant: cmp.variants[variant]}


def compare_steps(
    scenario: Scenario, variants: dict[str, dict[str, Any]] | None = None, replications: int | None = None
) -> int:
    """Runs :func:`compare` makes (a progress bar's length): every variant's replications."""
    spec = scenario.compare.variants if variants is None else variants
    return max(1, len(spec)) * (scenario.replications if replications is None else replications)


def compare(
    scenario: Scenario,
    variants: dict[str, dict[str, Any]] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    independent: bool = False,
    cluster: str | None = None,
    checkpoint: Path | None = None,
    resume: bool = False,
) -> pd.DataFrame:
    """Run each variant on the same replications; one row per variant and replication.

    `independent` gives each variant its own seeds instead of common random
    numbers (only useful to measure what common random numbers save).
    """
    reps = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    check_runs(reps, seed)
    scs = variants_of(scenario, variants)
    names = list(scs)
    jobs = [(scs[v], r, seed + (1_000_003 * k if independent else 0)) for k, v in enumerate(names) for r in range(reps)]
    keeper = None if checkpoint is None else Checkpoint(checkpoint, [job_key(*job) for job in jobs], resume)
    rows = map_jobs(kpis, jobs, n_jobs, progress, cluster, keeper)  # with a checkpoint, finished runs are kept
    table = pd.DataFrame(rows)
    table.insert(0, "variant", np.repeat(names, reps))
    table.insert(0, "scenario", scenario.name)
    return table


def paired_differences(
    table: pd.DataFrame,
    baseline: str | None = None,
    kpis: Iterable[str] = COMPARE_KPIS,
    by: list[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Variant minus baseline per KPI, paired by replication, with t-intervals (one row per variant and KPI)."""
    by = by or []
    kpis = [k for k in kpis if k in table]  # a mode leaves out the KPIs it does not model
    names = list(dict.fromkeys(table["variant"]))
    baseline = baseline or names[0]
    if baseline not in names:
        raise ScenarioError(f"baseline {baseline!r} is not a variant; variants are {names}")
    rows = []
    groups = table.groupby(by, sort=False) if by else [((), table)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        base = part[part.variant == baseline].set_index("replication")
        for v in names:
            if v == baseline:
                continue
            other = part[part.variant == v].set_index("replication")
            for kpi in kpis:
                est = mean_interval(other[kpi] - base[kpi], level)  # aligned on replication: paired
                significant = bool(est.n > 1 and (est.low > 0 or est.high < 0))
                rows.append(
                    {
                        **dict(zip(by, key, strict=True)),
                        "variant": v,
                        "baseline": baseline,
                        "kpi": kpi,
                        "baseline_mean": float(base[kpi].mean()),
                        "variant_mean": float(other[kpi].mean()),
                        "difference": est.mean,
                        "sd": est.sd,
                        "ci_low": est.low,
                        "ci_high": est.high,
                        "replications": est.n,
                        "p_value": est.p,
                        "significant": significant,
                        "verdict": verdict(kpi, est.low, est.high, est.mean, float(base[kpi].mean()))
                        if est.n > 1
                        else "ns",
                    }
                )
    return pd.DataFrame(rows)


def knockout_shares(
    table: pd.DataFrame,
    full: str,
    rival: str,
    knockouts: dict[str, str],
    kpi: str = "customer_equity",
    level: float = 0.95,
) -> pd.DataFrame:
    """What each mechanism contributes to the gap between `full` and `rival`, found by knocking it out of `full`.

    `knockouts` maps a mechanism to the variant that is `full` without it.  One
    row per mechanism: its contribution (full minus the knock-out, paired by
    replication, with a t-interval) and that contribution as a share of the
    gap (full minus rival), with a paired bootstrap interval over replications
    (scipy.stats.bootstrap).  A positive share pushes `full` the way the gap
    goes; a negative one works against the gap.
    """
    by = {v: part.set_index("replication")[kpi] for v, part in table.groupby("variant")}
    gap = by[full] - by[rival]
    rows = []
    for mechanism, variant in knockouts.items():
        contribution = (by[full] - by[variant]).reindex(gap.index)
        est = mean_interval(contribution, level)
        low = high = float("nan")
        if len(gap) > 2 and contribution.std() > 0 and gap.mean() != 0:
            ci = stats.bootstrap(
                (contribution.to_numpy(), gap.to_numpy()),
                lambda c, g: c.mean() / g.mean(),
                paired=True,
                vectorized=False,
                confidence_level=level,
                n_resamples=2000,
                random_state=0,
            ).confidence_interval
            low, high = float(ci.low), float(ci.high)
        share = contribution.mean() / gap.mean() if gap.mean() != 0 else float("nan")
        rows.append(
            {
                "mechanism": mechanism,
                "variant": variant,
                "kpi": kpi,
                "gap": float(gap.mean()),
                "contribution": est.mean,
                "contribution_low": est.low,
                "contribution_high": est.high,
                "share_of_gap": share,
                "share_low": low,
                "share_high": high,
                "replications": est.n,
            }
        )
    return pd.DataFrame(rows)


def fitd_arms(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """The research design: FITD and all-at-once at equal effort (all-at-once gets FITD's offer rate and cost).

    So the gap between the arms is the strategy's, not the contact rate's; the dashboard's "FITD or
    all-at-once?" view runs these arms; ``scenarios/fitd_vs_all_at_once.toml`` sets both arms' offer rate
    and cost equal in its tables to the same end.
    """
    fitd = scenario.account_growth.foot_in_the_door
    return {
        "foot_in_the_door": {"strategy.account_growth": "foot_in_the_door"},
        "all_at_once": {
            "strategy.account_growth": "all_at_once",
            "account_growth.all_at_once.offer_rate": fitd.offer_rate,
            "account_growth.all_at_once.offer_cost": fitd.offer_cost,
        },
    }
