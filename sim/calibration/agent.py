"""Calibrating the agent model itself to a customer file, by simulation-based inference.

The agent model has no likelihood, so it is fitted by approximate Bayesian
computation with sequential Monte Carlo (ABC-SMC; Toni et al. 2009, Beaumont
et al. 2009) as the pyabc library implements it: parameters are drawn from
their priors, the model is simulated on the log's own cohorts, and draws whose
summary statistics come close to the log's are kept and refined over
generations.  pyabc's adaptive distance rescales every statistic by its spread
among the simulations of each generation, so no statistic dominates by its
units (Prangle 2017).

What a transaction log identifies is how often customers buy, how long they
keep buying and how much they spend; so the fit covers the purchase chances of
the rungs new customers start on, the ladder's up and down rates, the
dissolution hazard, the basket variation, the wallet distribution, and how much
customers differ for life in how often they buy and how soon they leave (the
lasting heterogeneity of NBD and BG/NBD: `segments[*].heterogeneity`).  The
rest (trust, satisfaction, strategies...) stays at the scenario's documented
values: a log of purchases says nothing about them.

Time is the engine's month: the log is read as calendar months from the month
of its first transaction, and a customer's "purchase-month" is a month with at
least one purchase.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.transactions import LogError
from sim.engine.simulate import simulate
from sim.errors import UsageError
from sim.scenario import Scenario
from sim.scenario.overrides import apply

#: Fitted parameters (dotted scenario paths) and their uniform priors (low, high).  The wallet's prior is set
#: from the log's spend (:func:`priors`).
PRIORS: dict[str, tuple[float, float]] = {
    "purchasing.purchase_probability[2]": (0.02, 0.95),  # switchers: where most new customers start
    "purchasing.purchase_probability[3]": (0.02, 0.95),  # bundle buyers
    "ladder.up_rate": (0.0, 0.5),
    "ladder.down_rate": (0.0, 0.5),
    "dissolution.base_hazard": (0.0, 0.5),
    "purchasing.basket_cv": (0.05, 1.5),
    "segments[0].wallet_sigma": (0.05, 2.0),
    # Lifelong multipliers, sampled as their coefficient of variation 1/sqrt(shape): 0 is no heterogeneity, and 3
    # spans NBD's shape for CDNOW's weekly purchase rates (r = 0.24, CV 2.0; Fader, Hardie and Lee 2005).
    "segments[0].heterogeneity.purchase_shape": (0.0, 3.0),
    "segments[0].heterogeneity.hazard_shape": (0.0, 3.0),
}
WALLET = "segments[0].wallet_median"
WALLET_SPREAD = 5.0  # the wallet's log-uniform prior spans its pilot value / this to x this
SHAPES = ("segments[0].heterogeneity.purchase_shape", "segments[0].heterogeneity.hazard_shape")
CV_FLOOR = 1e-3  # a sampled CV below this is shape 1e6, the schema's largest: no heterogeneity to speak of
REPEAT_BINS = (0, 1, 2, 3, 5, 9)  # repeat purchase-months per customer: 0, 1, 2, 3-4, 5-8, 9+


@dataclass(frozen=True)
class CustomerMonths:
    """What a log and a simulation are compared on: who bought in which month, for how much, since when."""

    bought: np.ndarray  # months x customers: at least one purchase that month
    spend: np.ndarray  # months x customers: the month's spend
    entry: np.ndarray  # customers: month of the first purchase


@dataclass(frozen=True)
class Cohorts:
    """A log as the engine sees it: calendar months from the first transaction, and who entered when."""

    start: pd.Period  # the log's first month
    months: int  # months up to the calibration end (the last may be partial)
    total: int  # months up to the log's end
    sizes: list[int]  # customers whose first purchase fell in each calibration month
    observed: CustomerMonths  # those customers over the whole log


def month_index(dates: pd.Series | pd.DatetimeIndex, start: pd.Period) -> np.ndarray:
    """Calendar months from `start` (0 = the month of `start`) of each date, without a Python loop."""
    dates = pd.DatetimeIndex(dates)
    return ((dates.year - start.year) * 12 + dates.month - start.month).to_numpy(dtype=np.int64)


def cohorts(log: pd.DataFrame, calibration_end: pd.Timestamp) -> Cohorts:
    """The log's cohorts up to the calibration end, and their purchase-months to the end of the log."""
    start = log["date"].min().to_period("M")
    months = (calibration_end.to_period("M") - start).n + 1
    total = (log["date"].max().to_period("M") - start).n + 1
    if months < 3:
        raise LogError(f"--calibration-end {calibration_end.date()}: the calibration period needs at least 3 months")
    month = month_index(log["date"], start)
    first = pd.Series(month).groupby(log["customer"].to_numpy()).transform("min").to_numpy()
    keep = first < months  # customers acquired after the calibration end are not part of the fit
    ids, col = np.unique(log["customer"].to_numpy()[keep], return_inverse=True)
    bought = np.zeros((total, len(ids)), dtype=bool)
    spend = np.zeros((total, len(ids)))
    bought[month[keep], col] = True
    np.add.at(spend, (month[keep], col), log["amount"].to_numpy()[keep])
    entry = bought.argmax(axis=0)
    sizes = np.bincount(entry, minlength=months)[:months].tolist()
    return Cohorts(start, months, total, sizes, CustomerMonths(bought, spend, entry))


def from_simulation(scenario: Scenario, replication: int, seed: int) -> CustomerMonths:
    """Simulate `scenario` (cohorts, no referrals) and read it as a log would be read."""
    # The customer-month arrays are what a log is compared with; nothing after the horizon is (no run-off).
    if scenario.record != "customers" or scenario.valuation.residual != "none":
        scenario = scenario.with_overrides(record="customers", valuation={"residual": "none"})
    rep = simulate(scenario, replication, seed)
    n = rep.customers.n
    bought = rep.recorder.purchases[:, :n] > 0
    return CustomerMonths(bought, rep.recorder.revenue[:, :n].astype(float), rep.customers.entered[:n].copy())


def statistics(cm: CustomerMonths, months: int) -> dict[str, float]:
    """Summary statistics of the first `months` months, by name (documented in README, Calibration).

    Shares of customers by repeat purchase-months (0, 1, 2, 3-4, 5-8, 9+);
    shares silent in the last 3 and 6 months (of those acquired before);
    the mean gap between purchase-months; repeat purchase-months per customer
    acquired so far, month by month; the mean and spread of log spend per
    purchase-month, across and within customers; repeat purchase-months per
    customer over the window (the volume a holdout goes on from); and what tells customers
    who differ for life from customers who differ by chance: the variance
    over the mean of repeat purchase-months, and the correlation of a
    customer's purchase-months in the window's first and second halves.
    """
    bought, spend, entry = cm.bought[:months], cm.spend[:months], cm.entry
    repeat = _repeats(bought, entry)
    counts = repeat.sum(axis=0)  # repeat purchase-months per customer
    hist = np.histogram(counts, bins=[*REPEAT_BINS, np.inf])[0] / max(len(entry), 1)
    acquired = np.maximum(np.cumsum(np.bincount(entry, minlength=months)[:months]), 1)
    per_month = repeat.sum(axis=1) / acquired
    paid = bought & (spend > 0)
    logs = np.log(spend[paid])
    out = {f"repeat_months_{lo}+": v for lo, v in zip(REPEAT_BINS, hist, strict=True)}
    out |= {f"silent_last_{k}": _silent(bought, entry, months, k) for k in (3, 6)}
    out["mean_gap"] = _mean_gap(bought)
    out |= {f"repeat_per_customer_month_{m}": per_month[m] for m in range(1, months)}
    out["log_spend_mean"] = float(logs.mean()) if len(logs) else 0.0
    out["log_spend_sd"] = float(logs.std()) if len(logs) else 0.0
    out["log_spend_sd_within"] = _within_spread(np.where(paid, np.log(np.maximum(spend, 1e-12)), np.nan))
    out["repeat_months_per_customer"] = float(counts.mean()) if len(counts) else 0.0  # the volume a holdout tracks
    out["repeat_dispersion"] = float(counts.var() / counts.mean()) if counts.sum() else 0.0
    out["early_late_correlation"] = _early_late(repeat, entry, months)
    return out


def _early_late(repeat: np.ndarray, entry: np.ndarray, months: int) -> float:
    """Correlation of repeat purchase-months in the window's first and second halves, over customers with both.

    Customers who differ only by chance (the same chance for all on a rung)
    give a correlation that comes from the ladder and the stages alone;
    lifelong multipliers raise it (NBD: Ehrenberg 1959).
    """
    half = months // 2
    old = entry < half - 1  # at least one repeat chance in the first half
    if old.sum() < 3:
        return 0.0
    return _correlation(repeat[:half, old].sum(axis=0), repeat[half:months, old].sum(axis=0))


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's correlation of `a` and `b`, 0 when either does not vary (numpy would give NaN and warn)."""
    return float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else 0.0


def weights(names: list[str]) -> dict[str, float]:
    """Each group of statistics (the repeat histogram, the monthly series...) weighs the same in the distance.

    A group of k statistics gets 1 / sqrt(k) each, so its share of the
    squared distance does not grow with k: otherwise the monthly series
    (one statistic a month) would drown the three spend statistics.
    """
    group = [name.rstrip("0123456789+").rstrip("_") for name in names]
    size = pd.Series(group).value_counts()
    return {name: float(1.0 / np.sqrt(size[g])) for name, g in zip(names, group, strict=True)}


def _silent(bought: np.ndarray, entry: np.ndarray, months: int, k: int) -> float:
    """Share of customers acquired at least k months before the end who bought nothing in its last k months."""
    old = entry <= months - 1 - k
    return float((~bought[months - k :, old].any(axis=0)).mean()) if old.any() else 0.0


def _mean_gap(bought: np.ndarray) -> float:
    """Mean number of months between consecutive purchase-months (0 if nobody bought twice)."""
    t, k = np.nonzero(bought.T)
    same = np.diff(t) == 0
    gaps = np.diff(k)[same]
    return float(gaps.mean()) if len(gaps) else 0.0


def _within_spread(logs: np.ndarray) -> float:
    """Mean standard deviation of a customer's log spend over its purchase-months (customers with two or more)."""
    count = np.sum(~np.isnan(logs), axis=0)
    many = count >= 2
    if not many.any():
        return 0.0
    return float(np.nanstd(logs[:, many], axis=0).mean())


def base_scenario(scenario: Scenario, log_cohorts: Cohorts, months: int) -> Scenario:
    """`scenario` run on the log's cohorts for `months` months: no initial customers, no referrals, no spend on them."""
    return scenario.with_overrides(
        horizon_months=months,
        record="customers",
        population={"customers": 0, "cohorts": log_cohorts.sizes, "referral_pool": 0.0, "fixed": False},
    )


def priors(base: Scenario, observed: CustomerMonths, months: int, seed: int) -> dict[str, tuple[float, float]]:
    """Uniform priors, with the wallet's log-uniform prior centred where a pilot run matches the log's spend."""
    pilot = from_simulation(base, 0, seed)
    sim_spend = np.median(pilot.spend[:months][pilot.bought[:months]])
    log_spend = np.median(observed.spend[:months][observed.bought[:months]])
    centre = base.segments[0].wallet_median * log_spend / max(sim_spend, 1e-9)
    return {**PRIORS, WALLET: (np.log(centre / WALLET_SPREAD), np.log(centre * WALLET_SPREAD))}


def natural(name: str, x: float | np.ndarray) -> float | np.ndarray:
    """A sampled value in the scenario's units: the wallet is sampled on the log scale, a shape as its CV."""
    if name == WALLET:
        return np.exp(x)
    if name in SHAPES:
        return 1.0 / np.maximum(x, CV_FLOOR) ** 2
    return x


def sampled(name: str, value: float) -> float:
    """The inverse of :func:`natural`: a scenario value on the scale the fit samples it on."""
    if name == WALLET:
        return float(np.log(value))
    if name in SHAPES:
        return float(1.0 / np.sqrt(value))
    return float(value)


def with_parameters(base: Scenario, values: dict[str, float]) -> Scenario:
    """The scenario with fitted values set, each given on the scale it is sampled on (:func:`natural`)."""
    return apply(base, {k: float(natural(k, v)) for k, v in values.items()})


Progress = Callable[[int], None] | None


@dataclass
class AgentFit:
    """The posterior of the fitted parameters and what it was fitted on."""

    parameters: pd.DataFrame  # parameter, estimate, lower, upper, prior_low, prior_high, identified
    scenario: Scenario  # the scenario with the estimates in force
    cohorts: Cohorts
    simulations: int
    generations: int
    draws: pd.DataFrame  # the last generation's particles (one column per parameter) and their weights


POPULATION = 200  # particles per ABC-SMC generation
GENERATIONS = 12  # generations at most (8 left half the parameters unidentified on some logs: bench/calibration.py)
IDENTIFIED = 0.7  # a posterior 90% interval wider than this share of the prior's says the log cannot pin it down


def fit_agent(
    log: pd.DataFrame,
    calibration_end: pd.Timestamp,
    scenario: Scenario,
    seed: int = 0,
    jobs: int = 1,
    progress: Progress = None,
    population: int = POPULATION,
    generations: int = GENERATIONS,
    fixed: tuple[str, ...] = (),
) -> AgentFit:
    """Fit the agent model's log-identified parameters to `log` by ABC-SMC (pyabc), starting from `scenario`.

    Parameters named in `fixed` keep the scenario's value (a knock-out: ``fixed=SHAPES`` fits customers who
    differ by rung only).
    """
    import logging
    import tempfile

    try:
        import pyabc
    except ImportError:
        raise UsageError(
            "--model agent fits with pyabc, which is not installed: pip install 'crmsim[calibrate]'"
        ) from None

    for name in ("ABC", "pyabc", "Sampler", "Epsilon", "Distance", "Acceptor", "Redis"):
        logging.getLogger(name).setLevel(logging.WARNING)
    log_cohorts = cohorts(log, calibration_end)
    months = log_cohorts.months
    base = base_scenario(scenario, log_cohorts, months)
    bounds = priors(base, log_cohorts.observed, months, seed)
    unknown = set(fixed) - set(bounds)
    if unknown:
        raise UsageError(f"fixed: {', '.join(sorted(unknown))} not fitted; the fitted parameters are {list(bounds)}")
    bounds = {k: v for k, v in bounds.items() if k not in fixed}
    names = list(bounds)
    key = {name: f"p{i}" for i, name in enumerate(names)}
    prior = pyabc.Distribution(**{key[k]: pyabc.RV("uniform", lo, hi - lo) for k, (lo, hi) in bounds.items()})
    observed = statistics(log_cohorts.observed, months)

    def model(par: dict) -> dict:
        sc = with_parameters(base, {k: par[key[k]] for k in names})
        return statistics(from_simulation(sc, 0, int(np.random.randint(2**31))), months)

    np.random.seed(seed)  # pyabc draws from numpy's global generator; the sampler hands each evaluation a seed
    sampler = _batch_sampler(pyabc)(jobs, progress)
    distance = pyabc.AdaptivePNormDistance(p=2, fixed_weights=weights(list(observed)))
    abc = pyabc.ABCSMC(model, prior, distance, population_size=population, sampler=sampler)
    with tempfile.TemporaryDirectory() as tmp:
        abc.new(f"sqlite:///{tmp}/abc.db", observed)
        history = abc.run(max_nr_populations=generations)
        draws, weight = history.get_distribution(m=0, t=history.max_t)
        sims = int(history.total_nr_simulations)
        done = int(history.max_t) + 1
    draws = draws.rename(columns={v: k for k, v in key.items()})[names].assign(weight=weight)
    table = _posterior_table(draws, bounds)
    # Every parameter takes its posterior median, identified or not: parameters the log barely narrows on their
    # own trade off with each other (the base hazard with the hazard multipliers' spread), and a default in
    # place of one breaks the combination the log pins down (README, Calibrating the agent model itself).
    shown = {r.parameter: sampled(r.parameter, r.estimate) for r in table.itertuples()}
    whole = base_scenario(scenario, log_cohorts, log_cohorts.total).with_overrides(record=scenario.record)
    final = with_parameters(whole, shown)
    return AgentFit(table, final, log_cohorts, sims, done, draws)


BATCH = 48  # evaluations handed out at once; fixed, so that a fit does not depend on --jobs


def _evaluate(simulate_one: Callable, seed: int):
    """One ABC evaluation (draw a parameter, simulate, accept or not) with numpy's global generator at `seed`.

    The generator's state is put back afterwards: in process (one job) the
    main process's stream must not depend on the evaluations it ran.
    """
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        return simulate_one()
    finally:
        np.random.set_state(state)


def _batch_sampler(pyabc):
    """A pyabc sampler whose results depend on the seed only, not on the number of processes.

    pyabc's own parallel samplers reseed their workers from the operating
    system and accept particles in the order they finish, so a parallel fit
    cannot be repeated.  Here the main process draws a seed for each
    evaluation of a batch, the batch runs on joblib's workers (or in process
    with one job), and results are taken in evaluation order until the
    generation is full; the rest of the last batch is discarded.
    """
    from joblib import Parallel, delayed

    class BatchSampler(pyabc.sampler.Sampler):
        def __init__(self, jobs: int, progress: Progress) -> None:
            super().__init__()
            self.jobs, self.progress = jobs, progress

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
            sample, evaluations = self._create_empty_sample(), 0
            with Parallel(n_jobs=self.jobs) as parallel:
                while sample.n_accepted < n and evaluations < max_eval:
                    seeds = np.random.randint(2**31, size=BATCH)
                    for particle in parallel(delayed(_evaluate)(simulate_one, int(s)) for s in seeds):
                        if sample.n_accepted >= n:
                            break
                        sample.append(particle)
                        evaluations += 1
                    if self.progress is not None:
                        self.progress(BATCH)
            self.nr_evaluations_ = evaluations
            sample.ok = sample.n_accepted >= n
            return sample

    return BatchSampler


def weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The q-quantile of draws `x` with weights `w` (interpolated between weighted midpoints)."""
    order = np.argsort(x)
    cum = np.cumsum(w[order]) / w.sum()
    return float(np.interp(q, cum - w[order] / (2 * w.sum()), x[order]))


def _posterior_table(draws: pd.DataFrame, bounds: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """One row per parameter: posterior median and 90% interval, the prior's range, and whether the log pins it.

    A parameter whose 90% interval is not much narrower than its prior's is
    not identified by the log on its own: its interval says how little the
    log narrowed it.
    """
    rows = []
    w = draws["weight"].to_numpy()
    for name, (lo, hi) in bounds.items():
        x = draws[name].to_numpy()
        low, mid, high = (weighted_quantile(x, w, q) for q in (0.05, 0.5, 0.95))
        identified = (high - low) < IDENTIFIED * 0.9 * (hi - lo)
        # reported in the scenario's units; a shape falls as its CV rises, so its ends swap
        low, high = sorted(natural(name, np.array([low, high])))
        lo, hi = sorted(natural(name, np.array([lo, hi])))
        mid = natural(name, mid)
        rows.append(
            {
                "parameter": name,
                "estimate": float(mid),
                "lower": float(low),
                "upper": float(high),
                "prior_low": float(lo),
                "prior_high": float(hi),
                "identified": bool(identified),
            }
        )
    return pd.DataFrame(rows)


def _repeats(bought: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """Months x customers: a purchase-month after the customer's first month."""
    return bought & (np.arange(len(bought))[:, None] > entry[None, :])


def repeat_months(cm: CustomerMonths) -> np.ndarray:
    """Repeat purchase-months in each month: customers who bought that month, after their first month."""
    return _repeats(cm.bought, cm.entry).sum(axis=1)


def tracking(actual: np.ndarray, simulated: np.ndarray, months: int) -> pd.DataFrame:
    """Cumulative repeat purchase-months by month: the log's, and the simulations' median and 90% band."""
    cum = np.cumsum(simulated, axis=1)
    low, mid, high = np.percentile(cum, [5, 50, 95], axis=0)
    return pd.DataFrame(
        {
            "month": np.arange(1, len(actual) + 1),
            "actual": np.cumsum(actual),
            "simulated": mid,
            "simulated_low": low,
            "simulated_high": high,
            "period": np.where(np.arange(len(actual)) < months, "calibration", "holdout"),
        }
    )


def holdout_error(track: pd.DataFrame) -> float:
    """Mean absolute percentage error of cumulative repeat purchase-months over the holdout months."""
    h = track[track.period == "holdout"]
    return float(np.mean(np.abs(h.simulated - h.actual) / np.maximum(h.actual, 1.0))) if len(h) else float("nan")


def holdout_profile(cm: CustomerMonths, months: int) -> dict[str, float]:
    """How the best customers of the calibration months go on buying: what lasting differences decide.

    The share with 5 or more repeat purchase-months in the calibration
    months, the correlation of a customer's calibration repeats with its
    holdout purchase-months, and the holdout purchase-months of those with 3
    or more calibration repeats.
    """
    cal = _repeats(cm.bought[:months], cm.entry).sum(axis=0)
    hold = cm.bought[months:].sum(axis=0)
    heavy = cal >= 3
    return {
        "share_5plus_repeat_months": float((cal >= 5).mean()),
        "calibration_holdout_correlation": _correlation(cal, hold),
        "holdout_months_of_3plus_repeaters": float(hold[heavy].mean()) if heavy.any() else float("nan"),
    }


def _profiles(actual: CustomerMonths, simulated: list[CustomerMonths], months: int, model: str) -> pd.DataFrame:
    """One row per statistic of :func:`holdout_profile`: the log's value, the simulations' median and 90% band."""
    sims = pd.DataFrame([holdout_profile(cm, months) for cm in simulated])
    low, mid, high = (sims.quantile(q) for q in (0.05, 0.5, 0.95))
    real = holdout_profile(actual, months)
    return (
        pd.DataFrame(
            {"statistic": list(real), "actual": list(real.values()), "simulated": mid, "low": low, "high": high}
        )
        .assign(model=model)
        .reset_index(drop=True)
    )


def agent_tracking(fit: AgentFit, replications: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fitted agent model simulated on the log's cohorts to the end of the log, against the log; its profile."""
    sims = [from_simulation(fit.scenario, r, seed) for r in range(replications)]
    observed, months = fit.cohorts.observed, fit.cohorts.months
    track = tracking(repeat_months(observed), np.array([repeat_months(cm) for cm in sims]), months)
    return track, _profiles(observed, sims, months, "agent")


def bgnbd_tracking(log: pd.DataFrame, log_cohorts: Cohorts, calibration_end, replications: int, seed: int):
    """BG/NBD fitted to the same calibration period, read as purchase-months: the like-for-like comparison."""
    from sim.calibration.bgnbd import fit_bgnbd, simulate_transactions
    from sim.calibration.transactions import DAYS_PER_WEEK, summarize

    summary = summarize(log.drop(columns="segment", errors="ignore"), calibration_end)
    bg = fit_bgnbd(summary)
    first = summary["first_purchase"]
    end = log["date"].max()
    horizon = (end - first).dt.days.to_numpy() / DAYS_PER_WEEK
    entry = month_index(first, log_cohorts.start)
    total = log_cohorts.total
    rng = np.random.default_rng(seed)
    sims = []
    for _ in range(replications):
        times = simulate_transactions(len(summary), horizon, **bg.params, rng=rng)
        k = np.repeat(np.arange(len(times)), [len(ts) for ts in times])
        days = np.concatenate(times) * DAYS_PER_WEEK if len(k) else np.zeros(0)
        month = month_index(first.to_numpy()[k] + pd.to_timedelta(days, unit="D"), log_cohorts.start)
        bought = np.zeros((total, len(summary)), dtype=bool)
        bought[entry, np.arange(len(summary))] = True  # the first purchase
        inside = month < total
        bought[month[inside], k[inside]] = True
        sims.append(CustomerMonths(bought, np.zeros(bought.shape), entry))
    observed, months = log_cohorts.observed, log_cohorts.months
    track = tracking(repeat_months(observed), np.array([repeat_months(cm) for cm in sims]), months)
    return track, _profiles(observed, sims, months, "BG/NBD")


@dataclass
class AgentCalibration:
    """An agent-model calibration: the fit, its tracking beside BG/NBD's, and each model's holdout error."""

    fit: AgentFit
    tracking: pd.DataFrame  # month, actual, simulated mean and band, period, model ("agent" or "BG/NBD")
    errors: dict[str, float]  # model -> mean absolute percentage error over the holdout months
    profile: pd.DataFrame  # statistic, actual, simulated median and 90% band, model: holdout_profile


def calibrate_agent(
    log: pd.DataFrame,
    calibration_end: pd.Timestamp,
    scenario: Scenario,
    replications: int = 20,
    progress: Progress = None,
    **fit_options,
) -> AgentCalibration:
    """``crmsim calibrate --model agent``: fit by ABC-SMC, then track the holdout beside BG/NBD on the same log."""
    fit = fit_agent(log, calibration_end, scenario, progress=progress, **fit_options)
    seed = fit_options.get("seed", 0)
    ours, our_profile = agent_tracking(fit, replications, seed)
    theirs, their_profile = bgnbd_tracking(log, fit.cohorts, calibration_end, replications, seed)
    track = pd.concat([ours.assign(model="agent"), theirs.assign(model="BG/NBD")], ignore_index=True)
    errors = {name: holdout_error(part) for name, part in track.groupby("model", sort=False)}
    return AgentCalibration(fit, track, errors, pd.concat([our_profile, their_profile], ignore_index=True))


def provenance(fit: AgentFit, source: str, calibration_end: str, errors: dict[str, float]) -> str:
    """The header comment of an agent-calibrated scenario: what was fitted, what was not, and why."""
    c = fit.cohorts
    lines = [
        f"Calibrated by crmsim from {source}: the agent model, by ABC-SMC (pyabc), calibration period ending "
        f"{calibration_end}.",
        f"{sum(c.sizes):,} customers in {c.months} monthly cohorts from {c.start} (population.cohorts); they enter at",
        "their first purchase. Referrals are off (referral_pool = 0): the cohorts already hold whom referrals brought.",
        f"{fit.simulations:,} simulations in {fit.generations} generations. Posterior medians, 90% intervals:",
    ]
    for r in fit.parameters.itertuples():
        note = "" if r.identified else ": not identified by this log alone (its interval is near the prior's)"
        lines.append(f"  {r.parameter} = {r.estimate:.4g} ({r.lower:.4g} to {r.upper:.4g}){note}")
    if SHAPES[1] in set(fit.parameters.parameter):
        lines += [
            "On simulated logs this fit overstates the hazard multipliers' spread (it runs to its prior's edge",
            "with the base hazard raised: README, Calibrating the agent model itself, Recovery): read hazard_shape",
            "as 'customers differ a lot in how long they stay', not as a measurement.",
        ]
    lines += [
        "Fixed at their documented defaults: trust, satisfaction, commitment, service, competition, stages,",
        "postures and strategies. A purchase log carries no information on them; set them from what you know.",
        "Holdout error of cumulative repeat purchase-months: "
        + ", ".join(f"{name} {e:.1%}" for name, e in errors.items()),
        "Acquisition cost and gross margin are not in a transaction log: set them yourself.",
    ]
    return "\n".join(lines)
