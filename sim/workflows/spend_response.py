"""The response to migration spend, measured in the agent model on common random numbers.

Each customer who comes by itself (at month 0 or in a cohort) draws its own
spend level for every (rung, type) cell (:mod:`sim.engine.design`); its value
to the horizon, with the customers it referred, is compared with the same
customer in the run without spend.  A regression of those differences on the
design gives the effect of each level of each cell
(:func:`optimize.response.level_effects`), and each cell's effects are fitted
with the concave, saturating response ``value (1 - exp(-s / scale))``.
:mod:`sim.workflows.migration` plans on it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimize.response import fit_saturating, level_effects, saturation, shrink_effects
from sim.engine.design import LEVERS, SpendDesign
from sim.engine.simulate import simulate
from sim.results.referrals import tree_values
from sim.scenario import Scenario
from sim.stages import INVESTMENT_KINDS, N_RUNGS

STEPS = np.array([0.0, 0.5, 1.0, 2.0])  # design levels, as multiples of each cell's reference spend
CENTRE_CHANCES = np.array([0.15, 0.15, 0.55, 0.15])  # around a cell the plan spends on: mostly the plan's level
IDLE_CHANCES = np.array([0.55, 0.15, 0.15, 0.15])  # around a cell the plan leaves idle: mostly no spend
FIRST_CHANCES = np.array([0.4, 0.2, 0.2, 0.2])  # the first round has no plan: explore every cell widely


@dataclass
class Outcome:
    """What one replication tells the loop (small: it crosses process boundaries)."""

    equity: float
    value: np.ndarray  # each unreferred customer's discounted value to the horizon, with the customers it referred
    segment: np.ndarray  # each unreferred customer's segment
    index: np.ndarray | None  # its design level per (rung, type), in a designed run
    served: np.ndarray  # months x segments x rungs x levers: the customers each lever's spend reaches
    invested: float  # relationship investment and migration spend, mean per month


def outcome(scenario: Scenario, replication: int, seed: int, design: SpendDesign | None = None) -> Outcome:
    """Simulate one replication (with a spend design) and keep what the migration loop needs."""
    rep = simulate(scenario, replication, seed, design)
    c = rep.customers
    # Customers who came by themselves (at month 0 or in a cohort), in order of identity: the same customer at
    # the same position in every run, wherever referrals made a cohort's entrants sit.
    came = np.flatnonzero(c.referred_by[: c.n] < 0)
    came = came[np.argsort(c.identity[came])]
    return Outcome(
        equity=float(c.lifetime_value(slice(0, c.n)).sum()),
        value=tree_values(c.lifetime_value(slice(0, c.n)), c.referred_by[: c.n])[came],
        segment=c.segment[came].copy(),
        index=rep.design_index,
        served=_reach(rep.recorder.relationships, rep.recorder.ladder),
        invested=float(rep.recorder.invested.mean()),
    )


def _reach(relationships: np.ndarray, ladder: np.ndarray) -> np.ndarray:
    """Customers each lever's spend reaches (months x segments x rungs x levers)."""
    return np.stack([relationships] * len(INVESTMENT_KINDS) + [ladder], axis=-1)


def with_investments(scenario: Scenario, spend: np.ndarray, by_segment: bool) -> Scenario:
    """The scenario spending `spend` (segments x rungs x levers) a month per customer, each lever where it acts."""
    data = scenario.model_dump()
    for k, kind in enumerate(LEVERS):
        entry = data["investments"][kind] if kind in INVESTMENT_KINDS else data["migration"]
        if by_segment:
            entry["spend"] = [0.0] * N_RUNGS
            entry["segment_spend"] = {s.name: list(map(float, spend[g, :, k])) for g, s in enumerate(scenario.segments)}
        else:
            entry["spend"], entry["segment_spend"] = list(map(float, spend[0, :, k])), {}
    data["investments"]["plan"] = data["migration"]["plan"] = ""
    return Scenario.model_validate(data)


def design_around(centre: np.ndarray, reference: np.ndarray, first: bool, key: int) -> SpendDesign:
    """Levels 0, half, the reference and twice it for every cell; the reference is the plan's spend, else the type's.

    Around a plan, customers mostly get the plan's level, so the design measures
    each cell in the context the plan creates.
    """
    ref = np.where(centre > 0, centre, reference[None, None, :])
    levels = ref[..., None] * STEPS
    if first:
        chances = np.broadcast_to(FIRST_CHANCES, levels.shape)
    else:
        chances = np.where((centre > 0)[..., None], CENTRE_CHANCES, IDLE_CHANCES)
    return SpendDesign(levels=levels, chances=np.array(chances), centre=centre, key=key)


@dataclass
class Response:
    """The measured response of every (group, rung, type) cell around one centre."""

    levels: np.ndarray  # cells x levels: spend per customer-month
    effects: np.ndarray  # cells x levels: value difference per initial customer (net of spend)
    value: np.ndarray  # cells: fitted gross value of the whole group at saturation
    scale: np.ndarray  # cells: fitted spend scale
    cost: np.ndarray  # cells: discounted customer-months a unit of monthly spend is paid for (whole group)
    monthly: np.ndarray  # cells: customers on the cell's rung in a month (what a unit of spend costs a month)
    customers: np.ndarray  # cells: initial customers of the cell's group (effects are per initial customer)

    def net(self, spend: np.ndarray) -> float:
        """The fitted net gain of spending `spend` (per cell), against no spend."""
        x = spend.reshape(-1)
        return float(np.sum(saturation(x, self.value, self.scale) - self.cost * x))


def measure(
    none: list[Outcome],
    designed: list[list[Outcome]],
    centre_runs: list[Outcome],
    design: SpendDesign,
    groups: list[list[int]],
    rate: float,
    kappa: float,
) -> Response:
    """Estimate each cell's response from designed runs paired, customer by customer, with the run without spend."""
    horizon = none[0].served.shape[0]
    disc = (1.0 + rate) ** -np.arange(horizon)
    served = np.mean([o.served for o in centre_runs], axis=0)  # months x segments x rungs x levers, at the plan
    cells = N_RUNGS * len(LEVERS)
    fields = ("levels", "effects", "value", "scale", "cost", "monthly", "customers")
    out: dict[str, list] = {k: [] for k in fields}
    for members in groups:
        y, idx = [], []
        for runs in designed:
            for o, base in zip(runs, none, strict=True):
                mine = np.isin(o.segment, members)
                y.append(o.value[mine] - base.value[mine])
                idx.append(o.index[mine].reshape(-1, cells))
        effects, se = level_effects(np.concatenate(y), np.concatenate(idx), len(STEPS))
        effects = shrink_effects(effects, se) - kappa * np.where(np.isfinite(se), se, 0.0)
        initial = np.mean([np.isin(o.segment, members).sum() for o in none])
        occupancy = served[:, members].sum(axis=1).reshape(horizon, cells)  # months x cells
        per_unit = disc @ occupancy / max(initial, 1.0)  # per initial customer
        levels = design.levels[members[0]].reshape(cells, -1)
        for c in range(cells):
            top = levels[c, -1]
            v, s = fit_saturating(levels[c], effects[c], se[c], per_unit[c], (top / 20, top * 20))
            out["value"].append(v * initial)
            out["scale"].append(s)
        out["levels"].append(levels)
        out["effects"].append(effects)
        out["cost"].append(per_unit * initial)
        out["monthly"].append(occupancy.mean(axis=0))
        out["customers"].append(np.full(cells, initial))
    return Response(**{k: np.concatenate(v) if k not in ("value", "scale") else np.array(v) for k, v in out.items()})


def spread(spend: np.ndarray, groups: list[list[int]], segments: int) -> np.ndarray:
    """Spend per group (groups x rungs x types) as spend per segment (segments x rungs x types)."""
    out = np.zeros((segments, N_RUNGS, len(LEVERS)))
    for g, members in enumerate(groups):
        out[members] = spend[g]
    return out


def moved(old: np.ndarray, new: np.ndarray, monthly: np.ndarray) -> float:
    """Share of the monthly spend that moves between two plans (0: the same plan, 1: nothing in common)."""
    a, b = monthly * old.reshape(-1), monthly * new.reshape(-1)
    total = a.sum() + b.sum()
    return float(np.abs(a - b).sum() / total) if total > 0 else 0.0


def without_spend(scenario: Scenario) -> Scenario:
    """The scenario with no relationship investment and no direct migration spend (the loop's reference)."""
    return with_investments(scenario, np.zeros((len(scenario.segments), N_RUNGS, len(LEVERS))), by_segment=False)


def paired_gain(runs: list[Outcome], none: list[Outcome]) -> np.ndarray:
    """Customer equity gained per replication, paired with the run without spend."""
    return np.array([p.equity - b.equity for p, b in zip(runs, none, strict=True)])


def collapse(spend: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """Spend per segment back to spend per group (the first segment of each group)."""
    return np.stack([spend[m[0]] for m in groups]).reshape(-1)
