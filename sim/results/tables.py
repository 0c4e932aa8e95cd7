"""Results of a set of replications as tidy tables (pandas DataFrames).

- ``customers``: one row per customer and month (state at the start of the
  month, money during it);
- ``lifetimes``: one row per customer and replication (CLV, history);
- ``occupancy``: one row per replication, month and stage or rung
  (dimension ``stage``, ``rung`` for every customer, ``active_rung`` for
  customers not dissolved, who keep their last rung);
- ``replications``: one row per replication (the KPIs).
Every row carries its replication and root seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from sim.engine.records import PANEL_FLOWS, PANEL_STATE
from sim.engine.simulate import Replication
from sim.results.kpis import KPIS, Ending
from sim.results.stats import mean_interval
from sim.scenario import Scenario
from sim.stages import CAUSES, RUNGS, STAGES


def _stage_cat(codes: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=STAGES)


def _segments(codes: np.ndarray, scenario: Scenario) -> pd.Categorical:
    names = [s.name for s in scenario.segments]
    return pd.Categorical.from_codes(codes.astype(np.int16), categories=names)


def customers_table(rep: Replication, scenario: Scenario) -> pd.DataFrame | None:
    """Customer-period panel of one replication (None if only aggregates were recorded, or it was streamed to disk)."""
    b, c = rep.recorder, rep.customers
    if not b.panel or b.sink is not None:
        return None
    n = c.n
    entered = c.entered[:n]
    months = np.arange(b.horizon)[:, None]
    mask = (entered[None, :] >= 0) & (entered[None, :] <= months)
    t_idx, k_idx = np.nonzero(mask)
    columns = {name: getattr(b, name)[:, :n][mask] for name in PANEL_STATE + PANEL_FLOWS}
    return panel_frame(rep.replication, rep.seed, t_idx, k_idx, c.segment[k_idx], columns, scenario)


def panel_frame(
    replication: int,
    seed: int,
    period: np.ndarray,
    customer: np.ndarray,
    segment: np.ndarray,
    columns: dict[str, np.ndarray],
    scenario: Scenario,
) -> pd.DataFrame:
    """Rows of the customer-period table: one per (period, customer), with the recorded state and flows."""
    data: dict[str, object] = {
        "replication": np.full(len(period), replication, dtype=np.int64),
        "seed": np.full(len(period), seed, dtype=np.int64),
        "period": np.asarray(period, dtype=np.int64),
        "customer": np.asarray(customer, dtype=np.int32),
        "segment": _segments(segment, scenario),
        **columns,
    }
    data["stage"] = _stage_cat(data["stage"])
    data["rung"] = data["rung"].astype(np.int8) + 1
    return pd.DataFrame(data)


def lifetimes_table(rep: Replication, scenario: Scenario) -> pd.DataFrame:
    """One row per customer: who they are, what happened, and their CLV (to the horizon, after it, in all)."""
    c = rep.customers
    n = c.n
    clv = c.lifetime_value(slice(0, n))
    referred = c.referred_by[:n] >= 0
    referred_value = np.bincount(c.referred_by[:n][referred], weights=clv[referred], minlength=n)
    return pd.DataFrame(
        {
            "replication": rep.replication,
            "seed": rep.seed,
            "customer": np.arange(n, dtype=np.int32),
            "segment": _segments(c.segment[:n], scenario),
            "wallet": c.wallet[:n],
            "need_uncertainty": c.need_u[:n],
            "market_uncertainty": c.market_u[:n],
            "transaction_uncertainty": c.transaction_u[:n],
            "product_need_fit": c.fit[:n],
            "purchase_multiplier": c.buying[:n],  # lifelong, segments[*].heterogeneity (1 without it)
            "hazard_multiplier": c.staying[:n],
            "entered": c.entered[:n],
            "existing": c.existing[:n],
            "referred_by": c.referred_by[:n],
            "initial_stage": _stage_cat(c.initial_stage[:n]),
            "initial_rung": c.initial_rung[:n] + 1,
            "final_stage": _stage_cat(c.stage[:n]),
            "final_rung": c.rung[:n] + 1,
            "acquired_month": c.acquired_month[:n],
            "commitment_month": c.commitment_month[:n],
            "dissolved_month": c.dissolved_month[:n],
            "dissolution_cause": pd.Categorical.from_codes(c.cause[:n], categories=CAUSES),
            "products": c.products[:n],
            "growth_offers": c.offers[:n],
            "growth_accepted": c.accepted[:n],
            "final_trust": c.trust(slice(0, n)),
            "final_satisfaction": c.satisfaction[:n],
            "purchases": c.purchases[:n],
            "referrals": c.referrals[:n],
            "clv": clv,
            "clv_horizon": c.clv[:n],
            "residual_value": c.residual[:n],
            "referral_value": referred_value,
        }
    )


def occupancy_table(rep: Replication) -> pd.DataFrame:
    """Customers in each stage and on each rung at the start of every month (long format)."""
    b = rep.recorder
    T = b.horizon
    frames = []
    dims = (
        ("stage", b.stage_counts, STAGES),
        ("rung", b.rung_counts, RUNGS),
        ("active_rung", b.active_rung_counts, RUNGS),  # rungs of customers not dissolved
    )
    for dim, counts, names in dims:
        k = counts.shape[1]
        frames.append(
            pd.DataFrame(
                {
                    "replication": rep.replication,
                    "seed": rep.seed,
                    "period": np.repeat(np.arange(T), k),
                    "dimension": dim,
                    "level": np.tile(np.arange(k) if dim == "stage" else np.arange(1, k + 1), T),
                    "state": np.tile(names, T),
                    "customers": counts.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def replication_row(rep: Replication) -> dict[str, float]:
    """The KPIs of one replication (each computed as the registry says: sim.results.kpis)."""
    ending = Ending(rep)
    kpis = {k.name: k.compute(ending) for k in KPIS.values() if k.name not in rep.unmodelled}
    return {"replication": rep.replication, "seed": rep.seed, **kpis}


def summarize(table: pd.DataFrame, columns: tuple[str, ...] = tuple(KPIS), level: float = 0.95) -> pd.DataFrame:
    """Mean, standard deviation and t-interval (cut to the KPI's possible values) of each KPI, one row per KPI."""
    rows = []
    for col in columns:
        est = mean_interval(table[col], level)  # undefined values (e.g. nobody committed) are left out
        # A t-interval can reach below 0 for a count or beyond 1 for a share; cutting it to the values the KPI can
        # take only drops impossible values, so it still covers the true mean as often.
        low, high = KPIS[col].bounded(est.low, est.high) if col in KPIS else (est.low, est.high)
        row = {"kpi": col, "mean": est.mean, "sd": est.sd, "ci_low": low, "ci_high": high}
        rows.append({**row, "replications": est.n})
    return pd.DataFrame(rows)


@dataclass
class Results:
    """Tidy tables of a set of replications of one scenario."""

    scenario: Scenario
    replications: pd.DataFrame
    occupancy: pd.DataFrame
    lifetimes: pd.DataFrame
    customers: pd.DataFrame | None = None
    tables: ClassVar[tuple[str, ...]] = ("replications", "occupancy", "lifetimes", "customers")

    @classmethod
    def from_replications(cls, scenario: Scenario, reps: list[Replication]) -> Results:
        """Assemble tables from finished replications (in replication order)."""
        reps = sorted(reps, key=lambda r: r.replication)
        panels = [customers_table(r, scenario) for r in reps]
        return cls(
            scenario=scenario,
            replications=pd.DataFrame([replication_row(r) for r in reps]),
            occupancy=pd.concat([occupancy_table(r) for r in reps], ignore_index=True),
            lifetimes=pd.concat([lifetimes_table(r, scenario) for r in reps], ignore_index=True),
            customers=None if panels[0] is None else pd.concat(panels, ignore_index=True),
        )

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """KPI means with confidence intervals over replications."""
        return summarize(self.replications, tuple(k for k in KPIS if k in self.replications), level)

    def write(self, out: Path, fmt: str = "csv") -> list[Path]:
        """Write every table to `out` as CSV or Parquet; returns the paths written."""
        written = []
        for name in self.tables:
            df = getattr(self, name)
            if df is None:
                continue
            path = out / f"{name}.{fmt}"
            if fmt == "parquet":
                df.to_parquet(path, index=False)
            else:
                df.to_csv(path, index=False)
            written.append(path)
        return written
