"""Calibrate a simulated population from a transaction log, and check it on a holdout period.

1. Summarise the log up to the calibration end (frequency, recency, T in
   weeks; mean repeat spend).
2. Fit BG/NBD and Gamma-Gamma by maximum likelihood, per segment if the log
   has one.
3. Write a scenario with ``behaviour = "bgnbd"``: one segment per fit, its
   share of customers, and the fitted parameters, with comments saying where
   each number came from.  ``crmsim run`` accepts it.
4. Validate out of sample: simulate the fitted population from each
   customer's first purchase to the end of the log, and compare simulated
   with actual cumulative repeat purchases week by week (the tracking plot),
   and each customer's conditional expectation for the holdout with what
   the customer actually bought.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.calibration.bgnbd import (
    CalibrationError,
    Fit,
    conditional_expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    simulate_transactions,
)
from sim.calibration.transactions import DAYS_PER_WEEK, LogError, summarize
from sim.scenario import Scenario, build_scenario


@dataclass
class Calibration:
    """Fits, the scenario they make, and the holdout check."""

    fits: dict[str, tuple[Fit, Fit]]  # segment -> (BG/NBD, Gamma-Gamma)
    scenario: Scenario
    summary: pd.DataFrame
    tracking: pd.DataFrame | None = None  # week, actual, simulated mean and band
    conditional: pd.DataFrame | None = None  # by calibration frequency: predicted vs actual holdout purchases
    errors: dict[str, float] | None = None
    notes: list[str] = field(default_factory=list)  # estimates taken at a limit, and why
    model: str = "BG/NBD"  # the purchasing and dropout model: BG/NBD, or BG/BB for a discrete-time file
    period: str = ""  # BG/BB: the calendar period of one transaction opportunity (year, quarter, month)

    def parameters(self) -> pd.DataFrame:
        """One row per segment, model and parameter: estimate, standard error, log-likelihood, customers."""
        rows = []
        for seg, (bg, gg) in self.fits.items():
            for model, fit in ((self.model, bg), ("Gamma-Gamma", gg)):
                t = fit.table().assign(segment=seg, model=model, log_likelihood=fit.log_likelihood, customers=fit.n)
                rows.append(t)
        return pd.concat(rows, ignore_index=True)[
            ["segment", "model", "parameter", "estimate", "se", "identified", "log_likelihood", "customers"]
        ]


def fit_log(
    log: pd.DataFrame, calibration_end: str | pd.Timestamp, name: str = "calibrated", gross_margin: float = 0.35
) -> Calibration:
    """Fit the log up to `calibration_end` and build the scenario (no holdout check)."""
    end = pd.Timestamp(calibration_end)
    summary = summarize(log, end)
    groups = segment_groups(summary)
    fits, segments, notes = {}, [], []
    total = len(summary)
    for seg, part in groups:
        bg, gg = fit_bgnbd(part), fit_gamma_gamma(part)
        fits[str(seg)] = (bg, gg)
        params, limits = _homogeneous_limits({**bg.params, **gg.params})
        notes += [f"segment {seg}: {limit}" for limit in limits]
        segments.append(
            {
                "name": str(seg),
                "share": len(part) / total,
                "acquisition_cost": 0.0,
                "buy_till_you_die": {**params, "time_unit_days": DAYS_PER_WEEK},
            }
        )
    start = log["date"].min()
    scenario = build_scenario(
        {
            "name": name,
            "description": f"Calibrated on {total:,} customers, transactions {start.date()} to {end.date()} "
            "(BG/NBD + Gamma-Gamma)",
            "behaviour": "bgnbd",
            "horizon_months": 12,
            "population": {"customers": total, "referral_pool": 0.0},
            "firm": {"gross_margin": gross_margin},
            "segments": segments,
            # The customers' value after the horizon in closed form (the monthly DERL): what a run-off estimates
            # with noise, at about a fifteenth of its cost.
            "valuation": {"residual": "state"},
        }
    )
    return Calibration(fits=fits, scenario=scenario, summary=summary, notes=notes)


#: Largest Gamma or Beta parameter a scenario carries; beyond it a mixing distribution is a point mass in effect.
LIMIT = 1e6
#: Parameter pairs whose common growth leaves the mean unchanged and the spread going to zero.
_PAIRS = {
    ("r", "alpha"): "purchase rates do not vary between customers",
    ("a", "b"): "drop-out probabilities do not vary between customers",
    ("q", "gamma"): "mean spend does not vary between customers",
}


def _homogeneous_limits(params: dict[str, float]) -> tuple[dict[str, float], list[str]]:
    """Estimates that ran off to infinity together, brought back to LIMIT with their ratio (the mean) kept.

    A log with no heterogeneity in, say, purchase rates has its likelihood maximised as r and alpha grow
    without bound with r/alpha fixed; at LIMIT the Gamma's coefficient of variation is 0.001, the same
    model to any precision a log can show.
    """
    out, notes = dict(params), []
    for (shape, scale), meaning in _PAIRS.items():
        top = max(out[shape], out[scale])
        if top > LIMIT:
            out[shape], out[scale] = out[shape] * LIMIT / top, out[scale] * LIMIT / top
            notes.append(
                f"{shape} and {scale} grow without bound ({shape} = {params[shape]:.3g}): {meaning} in this log; "
                f"the scenario uses the limit, {shape} = {out[shape]:.4g}, {scale} = {out[scale]:.4g} (same mean)"
            )
    if out["p"] > LIMIT:
        raise CalibrationError(
            f"Gamma-Gamma p = {out['p']:.3g}: every repeat purchase of a customer has the same amount, which "
            "Gamma-Gamma cannot describe; check the amount column"
        )
    return out, notes


#: What each model's scenario says it simulates, in its header (BG/BB's opportunity is filled in).
DESCRIPTIONS = {
    "BG/NBD": [
        'behaviour = "bgnbd": each customer buys as a Poisson process while active and drops out after a purchase',
        "with its own probability (BG/NBD, Fader, Hardie and Lee 2005); spend per purchase is Gamma-Gamma.",
        "Rungs: a customer's rung is the octile of its purchase rate in its segment (rung 8 = heaviest buyers).",
        "Stages: exploration after the first purchase, expansion after 2 repeat purchases, commitment after 5.",
        "Maximum-likelihood estimates (standard error), time unit: weeks:",
    ],
    "BG/BB": [
        'behaviour = "bgbb": one transaction opportunity a {period}; at each, a customer still alive transacts with',
        "its own chance p, and before each it drops out for good with its own chance theta (BG/BB, Fader, Hardie",
        "and Shang 2010); spend per transaction is Gamma-Gamma. Rungs: the octile of p in its segment.",
        "Stages: exploration after the first transaction, expansion after 2 repeat transactions, commitment after 5.",
        "Maximum-likelihood estimates (standard error), periods: {period}s:",
    ],
}


def provenance(cal: Calibration, source: str, calibration_end: str) -> str:
    """The header comment of a calibrated scenario: where every number came from."""
    lines = [f"Calibrated by crmsim from {source}, calibration period ending {calibration_end}."]
    lines += [line.format(period=cal.period) for line in DESCRIPTIONS[cal.model]]
    for seg, (bg, gg) in cal.fits.items():
        est, gst = estimates_text(bg), estimates_text(gg)
        lines.append(f"  segment {seg}: {bg.n:,} customers; {cal.model} {est}; log-likelihood {bg.log_likelihood:,.2f}")
        lines.append(f"  segment {seg}: Gamma-Gamma on {gg.n:,} repeat buyers: {gst}")
    for line in [*cal.notes, *not_identified(cal)]:
        lines.append(f"  {line}")
    if cal.errors:
        lines.append("Holdout check: " + ", ".join(f"{k} {v:.3g}" for k, v in cal.errors.items()))
    lines.append("Acquisition cost and gross margin are not in a transaction log: set them yourself.")
    return "\n".join(lines)


def validate(
    cal: Calibration,
    log: pd.DataFrame,
    holdout_end: str | pd.Timestamp | None = None,
    replications: int = 20,
    seed: int = 0,
) -> Calibration:
    """Compare the fitted population with what the customers did after the calibration end.

    Tracking: simulate every customer from its first purchase (exact BG/NBD
    times, drawn from its segment's fit) to the holdout end, `replications`
    times, and compare weekly cumulative repeat purchases with the log.
    Conditional expectations: for each customer, the BG/NBD expectation of
    holdout purchases given its calibration history, against its actual
    holdout purchases, averaged by calibration frequency (0..7+).
    """
    summary = cal.summary
    cal_end = summary["first_purchase"].max() + pd.to_timedelta(
        summary.loc[summary["first_purchase"].idxmax(), "T"] * DAYS_PER_WEEK, unit="D"
    )
    end = pd.Timestamp(holdout_end) if holdout_end is not None else log["date"].max()
    if end <= cal_end:
        raise LogError(
            f"--holdout-end {end.date()} is not after the calibration end {cal_end.date()}; give a later date"
        )
    daily = log[log["date"] <= end].groupby(["customer", "date"]).size().reset_index()[["customer", "date"]]
    seg_of = segment_of(cal)
    tracking = _tracking(cal, daily, log["date"].min(), cal_end, end, seg_of, replications, seed)
    cond, pred, hold = _conditional(cal, daily, cal_end, end, seg_of)
    cal.tracking = tracking
    cal.conditional = cond
    cal.errors = holdout_errors(tracking, pred, hold)
    return cal


def holdout_errors(tracking: pd.DataFrame, predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """The holdout check's figures: tracking error (mean and at the end) and the conditional expectations' MAE.

    The MAE is NaN when a fit that is not identified gives no finite expectation (it is then not reported).
    """
    h = tracking[tracking.period == "holdout"]
    with np.errstate(invalid="ignore"):
        mae = float(np.mean(np.abs(predicted - actual)))
    return {
        "holdout_cumulative_mape": float(np.mean(np.abs(h.simulated - h.actual) / np.maximum(h.actual, 1.0))),
        "holdout_final_error": float((h.simulated.iloc[-1] - h.actual.iloc[-1]) / max(h.actual.iloc[-1], 1.0)),
        "conditional_mae": mae if np.isfinite(mae) else float("nan"),
    }


def _tracking(cal, daily, start, cal_end, end, seg_of, replications: int, seed: int) -> pd.DataFrame:
    """Weekly cumulative repeat purchases: actual, and simulated from each customer's first purchase (with a band)."""
    summary = cal.summary
    n_weeks = int(np.ceil((end - start).days / DAYS_PER_WEEK))
    first_week = ((summary["first_purchase"] - start).dt.days / DAYS_PER_WEEK).to_numpy()
    horizon = (end - summary["first_purchase"]).dt.days.to_numpy() / DAYS_PER_WEEK
    first = daily.groupby("customer")["date"].transform("min")
    repeat_weeks = ((daily.loc[daily["date"] > first, "date"] - start).dt.days / DAYS_PER_WEEK).to_numpy()
    edges = np.arange(1, n_weeks + 1)
    actual = np.searchsorted(np.sort(repeat_weeks), edges, side="right")
    rng = np.random.default_rng(seed)
    sims = np.zeros((replications, n_weeks))
    for rep in range(replications):
        times = []
        for seg, (bg, _) in cal.fits.items():
            idx = np.flatnonzero(seg_of == seg)
            for k, ts in zip(idx, simulate_transactions(len(idx), horizon[idx], **bg.params, rng=rng), strict=True):
                times.append(first_week[k] + ts)
        all_times = np.sort(np.concatenate(times)) if times else np.zeros(0)
        sims[rep] = np.searchsorted(all_times, edges, side="right")
    lo, hi = np.percentile(sims, [2.5, 97.5], axis=0)
    tracking = pd.DataFrame(
        {"week": edges, "actual": actual, "simulated": sims.mean(axis=0), "simulated_low": lo, "simulated_high": hi}
    )
    in_calibration = start + pd.to_timedelta(edges * DAYS_PER_WEEK, unit="D") <= cal_end
    tracking["period"] = np.where(in_calibration, "calibration", "holdout")
    return tracking


def _conditional(cal, daily, cal_end, end, seg_of) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Each customer's BG/NBD expectation of holdout purchases against its actual ones, by calibration frequency."""
    summary = cal.summary
    t_hold = (end - cal_end).days / DAYS_PER_WEEK
    hold = daily[(daily["date"] > cal_end)].groupby("customer").size().reindex(summary.index).fillna(0.0).to_numpy()
    pred = np.zeros(len(summary))
    for seg, (bg, _) in cal.fits.items():
        idx = seg_of == seg
        s = summary[idx]
        pred[idx] = conditional_expected_purchases(t_hold, s["frequency"], s["recency"], s["T"], **bg.params)
    return by_frequency(summary["frequency"], pred, hold), pred, hold


def by_frequency(frequency: pd.Series, predicted: np.ndarray, actual: np.ndarray) -> pd.DataFrame:
    """Predicted against actual holdout purchases, averaged by calibration frequency (0 to 7 and over)."""
    by = np.minimum(frequency.to_numpy(), 7)
    cond = pd.DataFrame({"calibration_frequency": by, "predicted": predicted, "actual": actual})
    return (
        cond.groupby("calibration_frequency")
        .agg(customers=("actual", "size"), predicted=("predicted", "mean"), actual=("actual", "mean"))
        .reset_index()
    )


def segment_groups(summary: pd.DataFrame):
    """The summary by segment, or as one segment "all" when the log has no segment column."""
    if "segment" in summary and summary["segment"].notna().any():
        return summary.groupby("segment")
    return [("all", summary)]


def segment_of(cal: Calibration) -> np.ndarray:
    """Each customer's fit, by segment label (one fit: every customer's)."""
    if "segment" in cal.summary and len(cal.fits) > 1:
        return cal.summary["segment"].astype(str).to_numpy()
    return np.full(len(cal.summary), next(iter(cal.fits)))


def estimates_text(fit: Fit) -> str:
    """Estimates with their standard errors, or a note that the data do not identify them."""
    text = ", ".join(
        f"{k} = {v:.4g}" + (f" ({fit.se[k]:.2g})" if fit.identified else "") for k, v in fit.params.items()
    )
    return text if fit.identified else text + " (not identified: no standard errors)"


def not_identified(cal: Calibration) -> list[str]:
    """One warning per fit whose estimates the log does not identify (a flat or ill-conditioned likelihood)."""
    return [
        f"segment {seg}: {model} not identified: the likelihood is flat or ill-conditioned at the estimates, or an "
        "estimate ran towards 0 or infinity, so they have no standard errors; use a longer calibration period or "
        "more customers, or a model that fits the file's timing"
        for seg, fits in cal.fits.items()
        for model, fit in zip((cal.model, "Gamma-Gamma"), fits, strict=True)
        if not fit.identified
    ]
