"""Calibrate a discrete-time customer file (one transaction opportunity a period) with BG/BB and Gamma-Gamma.

The periods are calendar periods (`--period year`, `quarter` or `month`); a customer's first period is its
opportunity 0.  The holdout check compares, period by period, the cumulative repeat transactions of the log
with simulations of the fitted model from each customer's first period, and each customer's conditional
expectation of holdout transactions (FHS 2010, eq. 13) with what it did.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration import bgbb
from sim.calibration.bgnbd import fit_gamma_gamma
from sim.calibration.calibrate import Calibration, by_frequency, holdout_errors, segment_groups, segment_of
from sim.calibration.transactions import LogError
from sim.scenario import build_scenario


def fit_discrete_log(
    log: pd.DataFrame, calibration_end: str | pd.Timestamp, period: str, name: str = "calibrated", gross_margin=0.35
) -> Calibration:
    """Fit BG/BB and Gamma-Gamma to the log's periods up to `calibration_end`, and build a ``bgbb`` scenario."""
    if period not in bgbb.PERIODS:
        raise LogError(f"--period {period}: use {', '.join(bgbb.PERIODS)}")
    summary = bgbb.period_summary(log, calibration_end, period)
    groups = segment_groups(summary)
    months = bgbb.PERIODS[period][1]
    fits, segments = {}, []
    for seg, part in groups:
        bb, gg = bgbb.fit_bgbb(part), fit_gamma_gamma(part)
        fits[str(seg)] = (bb, gg)
        spend = {"spend_p": gg.params["p"], "spend_q": gg.params["q"], "spend_scale": gg.params["gamma"]}
        segments.append(
            {
                "name": str(seg),
                "share": len(part) / len(summary),
                "acquisition_cost": 0.0,
                "discrete_time": {**bb.params, **spend, "period_months": months},
            }
        )
    scenario = build_scenario(
        {
            "name": name,
            "description": f"Calibrated on {len(summary):,} customers, one transaction opportunity a {period} "
            "(BG/BB + Gamma-Gamma)",
            "behaviour": "bgbb",
            "horizon_months": max(12, 5 * months),
            "population": {"customers": len(summary), "referral_pool": 0.0},
            "firm": {"gross_margin": gross_margin},
            "segments": segments,
            "valuation": {"residual": "state"},  # the closed form: exact, and free
        }
    )
    return Calibration(fits=fits, scenario=scenario, summary=summary, model="BG/BB", period=period)


def validate_discrete(
    cal: Calibration, log: pd.DataFrame, holdout_end: str | pd.Timestamp | None, replications: int = 20, seed: int = 0
) -> Calibration:
    """The holdout check of a BG/BB calibration: tracking by period and conditional expectations per customer."""
    code = bgbb.PERIODS[cal.period][0]
    summary = cal.summary
    cal_last = int((summary["first_period"] + summary["n"]).max())
    end = pd.Timestamp(holdout_end) if holdout_end is not None else log["date"].max()
    last = end.to_period(code).ordinal
    if last <= cal_last:
        raise LogError(
            f"--holdout-end {end.date()}: no whole {cal.period} after the calibration end; give a later date"
        )
    full = bgbb.period_summary(log[log["customer"].isin(summary.index)], end, cal.period).reindex(summary.index)
    first = summary["first_period"].to_numpy()
    start = int(first.min())
    periods = np.arange(start + 1, last + 1)
    seen = log[log["date"] <= end].assign(p=log["date"].dt.to_period(code).astype("int64"))
    per = seen.groupby(["customer", "p"]).size().reset_index()[["customer", "p"]]
    per = per[per["p"] > per.groupby("customer")["p"].transform("min")]
    actual = np.cumsum(per["p"].value_counts().reindex(periods, fill_value=0).to_numpy())
    sims = _simulated(cal, first, periods, replications, np.random.default_rng(seed))
    lo, hi = np.percentile(sims, [2.5, 97.5], axis=0)
    tracking = pd.DataFrame(
        {
            "opportunity": periods - start,
            cal.period: [str(pd.Period(ordinal=int(p), freq=code)) for p in periods],
            "actual": actual,
            "simulated": sims.mean(axis=0),
            "simulated_low": lo,
            "simulated_high": hi,
            "period": np.where(periods <= cal_last, "calibration", "holdout"),
        }
    )
    future = last - cal_last
    hold = (full["frequency"] - summary["frequency"]).to_numpy(dtype=float)
    pred = np.zeros(len(summary))
    seg_of = segment_of(cal)
    for seg, (bb, _) in cal.fits.items():
        s = summary[seg_of == seg]
        pred[seg_of == seg] = bgbb.conditional_expected_purchases(
            future, s["frequency"], s["recency"], s["n"], **bb.params
        )
    cal.conditional = by_frequency(summary["frequency"], pred, hold)
    cal.tracking = tracking
    cal.errors = holdout_errors(tracking, pred, hold)
    return cal


def _simulated(cal: Calibration, first: np.ndarray, periods: np.ndarray, reps: int, rng) -> np.ndarray:
    """Cumulative repeat transactions by period in `reps` simulations of the fitted BG/BB from each first period."""
    seg_of = segment_of(cal)
    out = np.zeros((reps, len(periods)))
    for seg, (bb, _) in cal.fits.items():
        f = first[seg_of == seg]
        k = periods[None, :] - f[:, None]  # opportunity number of each calendar period for each customer
        a, b, g, d = (bb.params[name] for name in bgbb.PARAMETERS)
        for r in range(reps):
            p, theta = rng.beta(a, b, len(f))[:, None], rng.beta(g, d, len(f))[:, None]
            stays = rng.random(k.shape) >= theta
            alive = np.cumprod(np.where(k > 0, stays, True), axis=1).astype(bool) & (k > 0)
            buys = alive & (rng.random(k.shape) < p)
            out[r] += np.cumsum(buys.sum(axis=0))
    return out


def refuse_discrete(log: pd.DataFrame, name: str, why: str) -> None:
    """Refuse a continuous-time fit of a log whose timing is discrete, naming the model and period that fit it."""
    period = bgbb.discrete_calendar(log)
    if period is not None:
        raise LogError(
            f"{name}: its timing is discrete (at most one transaction a customer per {period}, on a few dates), and "
            f"{why}, so it would misread the file: fit it with --model bgbb --period {period}"
        )
