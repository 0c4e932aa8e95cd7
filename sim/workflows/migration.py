"""Migration plans the agent model confirms: measure the response to spend, plan, re-measure, check on fresh seeds.

In the agent model a rung is not bought: relationship investments (social,
structural, financial) build bonds that move trust, commitment and switching
costs, and the ladder moves because they do.  So the response to spend is
measured in the model itself, by designed experiments on common random numbers:

1. Each customer who comes by itself (at month 0 or in a cohort) draws its
   own spend level for every (rung, type) cell (:mod:`sim.engine.design`); its value to the
   horizon, with the customers it referred, is compared with the same customer
   in the run without spend.  A regression of those differences on the design
   gives the effect of each level of each cell (:func:`optimize.response.level_effects`).
2. Each cell's effects are fitted with a concave, saturating response
   ``value (1 - exp(-s / scale))`` less the spend it costs, and cvxpy chooses
   the spend per cell under the monthly budget (:func:`optimize.migration.plan_investments`).
3. The loop re-centres the design on the plan, on fresh seeds, and re-solves
   inside the measured range (a trust region) until less than a tenth of the
   spend moves or the round limit is reached (sample-average approximation
   with fresh samples per round).
4. The plan is then simulated on seeds no choice was made on (a validation
   block): that paired gain is the prediction, as in the independent-sample
   evaluation of an SAA candidate (Mak, Morton and Wood 1999).  The check runs
   the plan, no spend, uniform spend, the plan the Markov ladder would choose
   and a greedy allocation on yet other seeds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.migration import greedy_allocation, plan_investments
from optimize.response import saturation
from sim.engine.design import LEVERS, SpendDesign
from sim.engine.modes import check_levers
from sim.errors import UsageError
from sim.experiments import run
from sim.experiments.executors import map_jobs
from sim.results.stats import mean_interval, paired_interval
from sim.scenario import Scenario
from sim.stages import INVESTMENT_KINDS, N_RUNGS
from sim.workflows.checks import CHECK_SEED_OFFSET, LoopReport, diff_row, row
from sim.workflows.ladder import ladder_plan, markov_loop
from sim.workflows.spend_response import (
    STEPS,
    Outcome,
    Response,
    collapse,
    design_around,
    measure,
    moved,
    outcome,
    paired_gain,
    spread,
    with_investments,
    without_spend,
)

ROUND_SEEDS = 7_919  # round r of the loop runs on root seed + r * this: fresh samples every round
LAST_STEP_SEEDS = 3_967  # offset of the seeds on which a loop stopped by its round limit tests its last move
MAX_ROUNDS = 5  # design rounds at most; then the plan is validated as it stands
DESIGN_RUNS = 2  # designed runs per round (different draws of the levels, same seeds)
RESCALES = 3  # times _validate may play the plan (scaled down to the budget after an overspend)
BENCHMARKS = ("uniform", "markov", "greedy")  # the plans the check plays beside the plan and no spend
BUDGET_SLACK = 0.02  # a validated plan may overspend its budget by this share before it is scaled down
SETTLED = 0.10  # the loop stops when less than this share of the monthly spend moves between rounds


@dataclass
class Search:
    """Where the loop ended: the plan, the last response measured, and the rounds it took."""

    spend: np.ndarray  # segments x rungs x types
    response: Response
    rounds: pd.DataFrame
    validation: np.ndarray  # the plan's paired gain per replication on seeds no choice was made on
    shadow: float
    settled: bool  # False: the round limit came first
    stability: pd.DataFrame  # the last round's proposal re-planned on bootstrap resamples of its replications


@dataclass
class _Round:
    """What one round measured from, kept so that its proposal can be re-planned on resamples."""

    none: list[Outcome]
    designed: list[list[Outcome]]
    centre: list[Outcome]
    design: SpendDesign
    upper: np.ndarray
    proposal: np.ndarray  # the plan the round's response proposes (groups x rungs x types, flat)
    monthly: np.ndarray  # customers a month on each cell's rung (what a unit of spend costs a month)


def search(
    scenario: Scenario,
    budget: float,
    reps: int,
    seed: int,
    by_segment: bool,
    kappa: float,
    n_jobs: int,
    progress: Callable[[int], None] | None,
    candidates: dict[str, np.ndarray] | None = None,
) -> Search:
    """The simulation-optimisation loop: design, measure, plan, re-centre, until the plan settles; then validate.

    `candidates` (plans from elsewhere, segments x rungs x levers) are tried in
    round 1 with greedy allocation on round 0's response: one that beats the
    centre on that round's seeds with a paired 95% interval above 0 becomes the
    centre (a rival that is better only by noise would send the search elsewhere).
    """
    segments = len(scenario.segments)
    groups = [[g] for g in range(segments)] if by_segment else [list(range(segments))]
    reference = np.array(
        [getattr(scenario.investments, k).scale for k in INVESTMENT_KINDS] + [scenario.migration.scale]
    )
    rate = scenario.monthly_discount_rate
    nothing = centre = np.zeros((segments, N_RUNGS, len(LEVERS)))

    def play(plan: np.ndarray, block: int, design: SpendDesign | None = None) -> list[Outcome]:
        """Every replication of the market spending `plan` (segments x rungs x levers) on root seed `block`."""
        sc = with_investments(scenario, plan, by_segment=True)
        return map_jobs(outcome, [(sc, r, block, design) for r in range(reps)], n_jobs, progress)

    # Trust region: the centre moves a `step` of the way to each proposal; a centre that does worse than the
    # incumbent on the same seeds is rejected and the step halves.
    # No spend is the first incumbent: a plan that loses money against it is never kept.
    incumbent, step, rows, settled, rivals = centre, 1.0, [], False, {}
    for k in range(MAX_ROUNDS):
        block = seed + k * ROUND_SEEDS
        runs = {"none": play(nothing, block)}
        runs["centre"] = play(centre, block) if centre.any() else runs["none"]
        gain = paired_gain(runs["centre"], runs["none"])
        tested, accepted, source = gain.mean(), True, "proposal"
        if centre.any() and incumbent is not centre:
            runs["incumbent"] = play(incumbent, block) if incumbent.any() else runs["none"]
            held = paired_gain(runs["incumbent"], runs["none"])
            if tested < held.mean():
                centre, step, gain, accepted, source = incumbent, step / 2, held, False, "incumbent"
                runs["centre"] = runs["incumbent"]
        if k == 1:  # other plans get one chance to become the centre, on the same seeds, if clearly better
            centre, gain, source = _rivals(play, block, rivals, runs, centre, gain, source)
        incumbent = centre
        designs = [design_around(centre, reference, k == 0, key=k * DESIGN_RUNS + d) for d in range(DESIGN_RUNS)]
        designed = [play(centre, block, d) for d in designs]
        response = measure(runs["none"], designed, runs["centre"], designs[0], groups, rate, kappa)
        upper = np.concatenate([designs[0].levels[m[0]].reshape(-1, len(STEPS))[:, -1] for m in groups])
        flat, shadow = plan_investments(response.value, response.scale, response.cost, response.monthly, budget, upper)
        if k == 0:
            rivals = {**(candidates or {}), "greedy": _greedy(response, groups, segments, budget)}
        last = _Round(runs["none"], designed, runs["centre"], designs[0], upper, flat, response.monthly)
        here = collapse(centre, groups)
        target = here + step * (flat - here)
        shift = moved(here, target, response.monthly)
        sims = reps * (len({id(r) for r in runs.values()}) + DESIGN_RUNS)
        spent = _spent(runs["centre"])
        rows.append(_round_row(k, sims, tested, accepted, source, gain, spent, response.monthly @ target, shift, step))
        if shift < SETTLED:
            settled = True
            break
        centre = spread(target.reshape(len(groups), N_RUNGS, len(LEVERS)), groups, segments)
    if not settled:
        centre, row = _last_step(play, centre, incumbent, seed + MAX_ROUNDS * ROUND_SEEDS + LAST_STEP_SEEDS, len(rows))
        rows.append(row)
    centre, validation, row = _validate(play, centre, budget, seed + MAX_ROUNDS * ROUND_SEEDS, len(rows))
    rows.append(row)
    rounds = pd.DataFrame(rows)
    rounds["validation"] = np.arange(len(rounds)) == len(rounds) - 1
    names = [scenario.segments[m[0]].name if by_segment else "all" for m in groups]
    stability = plan_stability(last, groups, names, rate, kappa, budget, seed)
    return Search(centre, response, rounds, validation, shadow, settled, stability)


RESAMPLES = 30  # bootstrap resamples of the last round for the stability report


def plan_stability(
    last: _Round, groups: list[list[int]], names: list[str], rate: float, kappa: float, budget: float, seed: int
) -> pd.DataFrame:
    """How the last round's proposal moves when its replications are resampled (one row per cell).

    Each resample re-measures the response from the same replications drawn
    with replacement and re-plans; `spend_moved` is the share of the monthly
    spend a resample puts elsewhere (:func:`moved`), averaged over resamples.
    """
    rng = np.random.default_rng([seed, 14])
    n, plans = len(last.none), []
    for _ in range(RESAMPLES):
        pick = rng.integers(0, n, n)

        def sub(runs: list[Outcome], pick: np.ndarray = pick) -> list[Outcome]:
            return [runs[i] for i in pick]

        r = measure(sub(last.none), [sub(d) for d in last.designed], sub(last.centre), last.design, groups, rate, kappa)
        plans.append(plan_investments(r.value, r.scale, r.cost, r.monthly, budget, last.upper)[0])
    draws = np.array(plans)
    return pd.DataFrame(
        {
            **_cells(names, len(groups)),
            "proposed": last.proposal,
            "bootstrap_mean": draws.mean(axis=0),
            "bootstrap_low": np.quantile(draws, 0.05, axis=0),
            "bootstrap_high": np.quantile(draws, 0.95, axis=0),
            "spend_moved": float(np.mean([moved(last.proposal, p, last.monthly) for p in draws])),
        }
    )


def _rivals(
    play: Callable,
    block: int,
    rivals: dict[str, np.ndarray],
    runs: dict,
    centre: np.ndarray,
    gain: np.ndarray,
    source: str,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Play each rival plan; one whose paired gain over the centre has a 95% interval above 0 becomes the centre."""
    for name, plan in rivals.items():
        runs[name] = play(plan, block)
        theirs = paired_gain(runs[name], runs["none"])
        if paired_interval(theirs, gain).low > 0:
            centre, gain, source, runs["centre"] = plan, theirs, name, runs[name]
    return centre, gain, source


def _last_step(play: Callable, centre: np.ndarray, incumbent: np.ndarray, block: int, k: int) -> tuple:
    """A loop stopped by its round limit has moved its centre without testing the move: test it against the
    incumbent on seeds of its own and keep the better (so a run of rejected moves never ends in one untested)."""
    none = play(np.zeros_like(centre), block)
    moved_to = play(centre, block)
    tested = paired_gain(moved_to, none)
    kept = play(incumbent, block) if incumbent.any() else none
    held = paired_gain(kept, none)
    keep = tested.mean() >= held.mean()
    plan, gain, spent = (centre, tested, _spent(moved_to)) if keep else (incumbent, held, _spent(kept))
    nan = float("nan")
    sims = len(none) * (2 + bool(incumbent.any()))
    source = "proposal" if keep else "incumbent"
    return plan, _round_row(k, sims, tested.mean(), keep, source, gain, spent, nan, nan, nan)


def _validate(
    play: Callable, plan: np.ndarray, budget: float, block: int, k: int
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Simulate the plan on seeds no choice was made on: the plan, its paired gain there and its rounds.csv row.

    Its gain there is the prediction.  Moving customers up puts more of them where the plan spends, so a plan
    can spend more than its budget: then it is scaled down to the budget and validated again on the same seeds,
    at most RESCALES plays in all.  The plan returned is always the one whose gain and spend were measured.
    """
    none = play(np.zeros_like(plan), block)
    played = play(plan, block)
    spent, runs = _spent(played), 2
    while spent > budget * (1 + BUDGET_SLACK) and runs <= RESCALES:
        plan = plan * (budget / spent)
        played = play(plan, block)
        spent, runs = _spent(played), runs + 1
    gain, nan = paired_gain(played, none), float("nan")
    return plan, gain, _round_row(k, runs * len(none), gain.mean(), True, "validation", gain, spent, nan, nan, nan)


def _spent(runs: list[Outcome]) -> float:
    """Mean spend per month over replications (what the plan cost where it was played)."""
    return float(np.mean([o.invested for o in runs]))


def _round_row(
    k: int,
    sims: int,
    tested: float,
    accepted: bool,
    source: str,
    gain: np.ndarray,
    played: float,
    proposed: float,
    shift: float,
    step: float,
) -> dict:
    """One row of rounds.csv: the plan tested, whether it beat the incumbent, the centre kept and what it proposes.

    `source` says where the centre came from: the proposal, the incumbent, or a rival plan (markov, greedy);
    `played` is what the centre spent a month on the round's seeds.
    """
    est = mean_interval(gain)
    return {
        "round": k,
        "replications_run": sims,
        "tested_gain": tested,
        "accepted": accepted,
        "centre": source,
        "centre_gain": est.mean,
        "centre_gain_ci_low": est.low,
        "centre_gain_ci_high": est.high,
        "played_monthly_spend": played,
        "proposed_monthly_spend": proposed,
        "spend_moved": shift,
        "step": step,
    }


def migration_replications(scenario: Scenario, reps: int) -> int:
    """Most replications :func:`migration_loop` runs (for a progress bar); it stops sooner when the plan settles."""
    if scenario.behaviour == "markov":
        return 4 * reps
    runs_per_seed = {  # each phase of the loop, in the order it runs, and the plays it makes at most
        "markov_spend: the ladder's plan, estimated and scaled to the budget": 2,
        "search, round 0: no spend and the designed runs": 1 + DESIGN_RUNS,
        "search, later rounds: no spend, centre, incumbent and the designed runs": (3 + DESIGN_RUNS) * (MAX_ROUNDS - 1),
        "search, round 1: the rivals (the ladder's plan and greedy)": 2,
        "_last_step: no spend, the last move and the incumbent": 3,
        "_validate: no spend and the plan, rescaled": 1 + RESCALES,
        "the check: no spend, the plan and the benchmarks": 2 + len(BENCHMARKS),
    }
    return reps * sum(runs_per_seed.values())


def migration_loop(
    scenario: Scenario,
    budget: float,
    replications: int | None = None,
    seed: int | None = None,
    kappa: float = 0.0,
    lifetime: bool = False,
    by_segment: bool = False,
    n_jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> LoopReport:
    """Plan monthly migration spend for `budget` a month, predict its gain, and check it on fresh seeds.

    In the agent model the plan allocates relationship investments by rung and
    type (and segment, with `by_segment`) on a response measured in the model
    (see the module docstring); in Markov mode it plans direct rung moves with
    the exact chain prediction (:func:`sim.workflows.ladder.markov_loop`).
    With `kappa`, each measured effect is taken at its mean minus `kappa` standard errors.
    """
    if not (np.isfinite(budget) and 0 <= budget <= 1e9):
        raise UsageError(f"--budget {budget}: give a monthly amount between 0 and 1e9")
    reps = replications or scenario.replications
    seed = scenario.seed if seed is None else seed
    if reps < 2:
        raise UsageError(f"--replications {reps}: the check needs at least 2")
    if scenario.behaviour == "markov":
        check_levers(scenario, ["migration.spend"], "optimize migration")
        return markov_loop(scenario, budget, reps, seed, kappa, lifetime, by_segment, n_jobs, progress)
    check_levers(scenario, ["investments.social.spend"], "optimize migration")
    if lifetime and scenario.valuation.residual == "none":
        raise UsageError(
            '--lifetime: with [valuation] residual = "none" the agent model measures what spend earns to the horizon '
            'only; set residual = "run_off" (the default) to value it over the lifetime, or drop --lifetime'
        )
    base = without_spend(scenario).with_overrides(record="aggregates")
    markov = markov_spend(base, budget, kappa, by_segment, reps, seed, n_jobs, progress)
    found = search(base, budget, reps, seed, by_segment, kappa, n_jobs, progress, {"markov": markov})
    groups = [[g] for g in range(len(base.segments))] if by_segment else [list(range(len(base.segments)))]
    arms = {"plan": with_investments(base, found.spend, by_segment)}
    arms.update(_benchmarks(base, found, groups, budget, markov))
    check = {
        name: map_jobs(outcome, [(sc, r, seed + CHECK_SEED_OFFSET) for r in range(reps)], n_jobs, progress)
        for name, sc in {"none": base, **arms}.items()
    }
    equity = {name: np.array([o.equity for o in runs]) for name, runs in check.items()}
    spent = {name: _spent(runs) for name, runs in check.items()}
    modelled = found.response.net(collapse(found.spend, groups))
    plan = _plan_table(base, found, groups, by_segment)
    notes = _notes(budget, spent, found)
    return LoopReport(
        plan=plan,
        comparison=_comparison(equity, found.validation, modelled),
        scenario=arms["plan"].with_overrides(record=scenario.record),
        notes=notes,
        rounds=found.rounds,
        stability=found.stability if by_segment else found.stability.drop(columns="segment"),
    )


def markov_spend(
    base: Scenario,
    budget: float,
    kappa: float,
    by_segment: bool,
    reps: int,
    seed: int,
    n_jobs: int,
    progress: Callable[[int], None] | None,
) -> np.ndarray:
    """The direct-move plan the Markov ladder chooses from a no-spend run (segments x rungs x levers), within budget.

    The ladder counts customers where they stand without spend; moved up, they
    cost more than it budgets, so the plan is scaled down to the budget on the
    estimation seeds and every arm spends about the same.
    """
    est = run(base.with_overrides(record="customers"), reps, seed, n_jobs=n_jobs, progress=progress)
    plan, _, _ = ladder_plan(base, est.customers, budget, kappa, False, by_segment, reps)
    spend = np.zeros((len(base.segments), N_RUNGS, len(LEVERS)))
    spend[:, :, LEVERS.index("direct")] = plan["spend_per_customer"].to_numpy().reshape(-1, N_RUNGS)
    trial = map_jobs(outcome, [(with_investments(base, spend, True), r, seed) for r in range(reps)], n_jobs, progress)
    actual = _spent(trial)
    return spend * (budget / actual) if actual > budget > 0 else spend


def _benchmarks(base: Scenario, found: Search, groups: list[list[int]], budget: float, markov: np.ndarray) -> dict:
    """The plans the optimized one must beat: uniform spend, the Markov ladder's plan, greedy by measured return."""
    segments = len(base.segments)
    r = found.response
    spent = float(r.monthly @ collapse(found.spend, groups))
    per_cell = spent / r.monthly.sum() if r.monthly.sum() > 0 else 0.0  # every customer-month gets the same
    uniform = np.full((segments, N_RUNGS, len(LEVERS)), per_cell)
    plans = {"uniform": uniform, "markov": markov, "greedy": _greedy(r, groups, segments, budget)}
    return {name: with_investments(base, plans[name], True) for name in BENCHMARKS}


def _greedy(r: Response, groups: list[list[int]], segments: int, budget: float) -> np.ndarray:
    """Greedy allocation by measured marginal return (segments x rungs x levers)."""
    flat = greedy_allocation(r.levels, r.effects * r.customers[:, None], r.monthly, budget)
    return spread(flat.reshape(len(groups), N_RUNGS, len(LEVERS)), groups, segments)


def _comparison(equity: dict[str, np.ndarray], validation: np.ndarray, modelled: float) -> pd.DataFrame:
    """Predicted against simulated gains, every arm paired against no spend on the check's seeds."""
    gain = {name: equity[name] - equity["none"] for name in equity if name != "none"}
    plan = gain["plan"]
    return pd.DataFrame(
        [
            row("predicted gain (plan simulated on validation seeds)", validation),
            row("predicted gain, response model alone", np.full(len(plan), modelled)),
            row("simulated gain, optimized plan", plan),
            row("simulated gain, uniform spend", gain["uniform"]),
            row("simulated gain, Markov-ladder plan", gain["markov"]),
            row("simulated gain, greedy by measured return", gain["greedy"]),
            row("optimized minus uniform", plan - gain["uniform"]),
            row("optimized minus Markov-ladder plan", plan - gain["markov"]),
            row("optimized minus greedy", plan - gain["greedy"]),
            diff_row(plan, validation),
        ]
    )


def _plan_table(base: Scenario, found: Search, groups: list[list[int]], by_segment: bool) -> pd.DataFrame:
    """One row per (segment,) rung and investment type: spend, who it reaches, the fitted response and gain."""
    r = found.response
    x = collapse(found.spend, groups)
    names = [base.segments[m[0]].name if by_segment else "all" for m in groups]
    table = pd.DataFrame(
        {
            **_cells(names, len(groups)),
            "spend_per_customer": x,
            "customers": r.monthly,
            "total_spend": r.monthly * x,
            "response_value": r.value,
            "response_scale": r.scale,
            "expected_gain": saturation(x, r.value, r.scale) - r.cost * x,
            "shadow_price": found.shadow,
        }
    )
    return table if by_segment else table.drop(columns="segment")


def _cells(names: list[str], groups: int) -> dict[str, np.ndarray]:
    """Segment, rung and investment of every cell of a plan, in plan order."""
    cells = N_RUNGS * len(LEVERS)
    return {
        "segment": np.repeat(names, cells),
        "rung": np.tile(np.repeat(np.arange(1, N_RUNGS + 1), len(LEVERS)), groups),
        "investment": np.tile(LEVERS, N_RUNGS * groups),
    }


def _notes(budget: float, spent: dict[str, float], found: Search) -> list[str]:
    """What the user should know: spend against budget, and how the loop ended."""
    rounds = found.rounds
    design = rounds[~rounds["validation"]]
    last = "kept" if design["accepted"].iloc[-1] else "rejected"
    notes = [
        f"the loop ran {len(design) - (not found.settled)} design round(s) and "
        f"{int(rounds['replications_run'].sum())} replications; "
        + (
            f"the plan settled (the last round would move {design['spend_moved'].iloc[-1]:.0%} of the spend)"
            if found.settled
            else f"it stopped at its {MAX_ROUNDS}-round limit before the plan settled; its last move, tested "
            f"on seeds of its own against the plan before it, was {last}"
        ),
        "spend per month on the check's seeds: "
        + ", ".join(f"{name} {value:,.0f}" for name, value in spent.items() if name != "none"),
    ]
    if not found.spend.any():
        notes.append(
            "no spend the loop tried paid for its cost on these customers (rounds.csv: every move lost against "
            "spending nothing), so the plan is to spend nothing"
        )
    elif spent["plan"] < 0.95 * budget:
        notes.append(
            f"the plan spends {spent['plan']:,.0f} of the {budget:,.0f} a month: beyond that no measured response "
            "pays for its cost, so the rest buys nothing (the uniform arm spends the same)"
        )
    validated = float(rounds["played_monthly_spend"].iloc[-1])
    if validated > budget * (1 + BUDGET_SLACK):
        notes.append(
            f"on the validation seeds the plan still spends {validated:,.0f} a month after {RESCALES} plays scaled "
            f"down to the {budget:,.0f} budget: moving customers up keeps raising its reach; read its gain as that "
            "spend's"
        )
    moved_share = float(found.stability["spend_moved"].iloc[0])
    notes.append(
        f"re-planned on bootstrap resamples of the last round's replications, {moved_share:.0%} of the monthly "
        "spend moves on average (stability.csv); --kappa discounts effects measured with little precision"
    )
    return notes
