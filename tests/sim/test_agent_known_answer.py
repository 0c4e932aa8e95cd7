"""The agent model itself against the Markov-chain CLV (Pfeifer and Carraway 2000).

With the dynamics that make the agent model more than a chain switched off
(the ladder's drive weighs nothing, so each rung's climb and drop chances are
constants; dissolution has no satisfaction, trust, lock-in or failure terms;
no service failures, competitor offers, growth offers, reviews, referrals or
seasons; every customer starts committed with the full range and stays
committed), a customer is a birth-death chain on the rungs that earns a fixed
expected margin per rung and leaves at a constant hazard.  Its expected CLV is
then :func:`optimize.clv.markov_clv` of that chain, worked out here by hand
from the scenario's numbers, not from the model's functions.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from optimize.clv import markov_clv
from sim.experiments import run
from tests.conftest import small

HORIZON = 120
UP_RATE, DOWN_RATE, STEEPNESS = 0.30, 0.20, 3.0
THRESHOLDS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
HAZARD = 0.02
PURCHASE = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
PREMIUM = [0.0, 0.0, 0.0, 0.05, 0.05, 0.10, 0.10, 0.20]
SHARE, WALLET, SIGMA = 0.5, 400.0, 0.3
GROSS, COST, COST_SHARE = 0.35, 10.0, 0.03
INTERACTION_RATE, INTERACTION_COST = 0.10, 15.0
FACTORS = [1.0, 1.0, 1.0]


def degenerate(customers: int = 4000, replications: int = 2):
    """The agent scenario that is a Markov chain in disguise (module docstring)."""
    return small(
        horizon_months=HORIZON,
        replications=replications,
        record="customers",
        population={"customers": customers, "referral_pool": 0.0},
        segments=[
            {
                "name": "all",
                "initial_rungs": [1 / 8] * 8,
                "initial_stages": [0.0, 0.0, 0.0, 1.0],
                "wallet_median": WALLET,
                "wallet_sigma": SIGMA,
                "event_rate": 0.0,
            }
        ],
        firm={"gross_margin": GROSS, "capacity": None},
        strategy={
            "account_growth": "none",
            "posture": "transactional",
            "offering": "standard",
            "prospecting": "none",
            "pricing": "standard",
        },
        postures={
            "transactional": {
                "cost_to_serve": COST,
                "cost_to_serve_share": COST_SHARE,
                "price_index": 1.0,
                "interaction_rate": INTERACTION_RATE,
                "interaction_cost": INTERACTION_COST,
            }
        },
        portfolio_policy={"scheme": "none"},
        demand={"seasonality": 0.0},
        purchasing={
            "purchase_probability": PURCHASE,
            "share_of_wallet": [SHARE] * 8,
            "price_premium": PREMIUM,
            "referral_rate": [0.0] * 8,
            "need_concentration": 0.0,
            "market_dispersion": 0.0,
        },
        ladder={
            "up_rate": UP_RATE,
            "down_rate": DOWN_RATE,
            "thresholds": THRESHOLDS,
            "steepness": STEEPNESS,
            "trust_weight": 0.0,
            "satisfaction_weight": 0.0,
            "affective_weight": 0.0,
            "failure_drop": 0.0,
        },
        stages={
            "regression_rate": 0.0,
            "purchase_factor": FACTORS,
            "basket_factor": FACTORS,
            "hazard_factor": FACTORS,
            "failure_sensitivity": FACTORS,
        },
        dissolution={
            "base_hazard": HAZARD,
            "satisfaction_effect": 0.0,
            "trust_effect": 0.0,
            "calculative_effect": 0.0,
            "dependence_retention": 0.0,
            "shock_hazard": 0.0,
        },
        service={"failure_probability": 0.0},
        competition={"offer_rate": 0.0},
    )


def chain() -> tuple[np.ndarray, np.ndarray]:
    """The monthly transition matrix (8 rungs, then dissolution) and expected margin per rung, by hand."""
    theta = np.array(THRESHOLDS)
    up = np.append(UP_RATE * expit(-STEEPNESS * theta), 0.0)  # the drive is 0; the top rung cannot climb
    # Drop from rung k (k > 1) below the threshold that holds it, with its own uniform, only if it did not climb.
    down = np.insert((1.0 - up[1:]) * DOWN_RATE * expit(STEEPNESS * theta), 0, 0.0)
    ladder = np.diag(1.0 - up - down) + np.diag(up[:-1], 1) + np.diag(down[1:], -1)
    # The rung's margin is earned before the move; dissolution comes after it, at a constant hazard.
    P = np.hstack([(1.0 - HAZARD) * ladder, np.full((8, 1), HAZARD)])
    mean_wallet = WALLET * np.exp(SIGMA**2 / 2)
    revenue = np.array(PURCHASE) * mean_wallet * SHARE * (1.0 + np.array(PREMIUM))
    margins = revenue * (GROSS - COST_SHARE) - COST - INTERACTION_RATE * INTERACTION_COST
    return P, margins


@pytest.mark.slow
def test_degenerate_agent_model_matches_markov_clv():
    sc = degenerate()
    P, margins = chain()
    expected = markov_clv(P, margins, sc.monthly_discount_rate, horizon=HORIZON)
    # The check can fail: a chain without the ladder's moves is an answer the simulation is far from.
    still = np.hstack([np.eye(8) * (1.0 - HAZARD), np.full((8, 1), HAZARD)])
    wrong = markov_clv(still, margins, sc.monthly_discount_rate, horizon=HORIZON)
    lt = run(sc).lifetimes
    far = 0
    assert set(lt.initial_stage.astype(str).unique()) == {"commitment"}
    for rung, v in enumerate(expected, start=1):
        clv = lt.loc[lt.initial_rung == rung, "clv"].to_numpy()
        se = clv.std(ddof=1) / np.sqrt(len(clv))  # customers are independent here: no reviews, referrals, capacity
        assert len(clv) > 500
        assert abs(clv.mean() - v) < 3 * se, f"rung {rung}: simulated {clv.mean():.2f} vs {v:.2f} (SE {se:.2f})"
        far += abs(clv.mean() - wrong[rung - 1]) > 5 * se
    assert far >= 6, f"only {far} of 8 rungs tell the ladder's moves apart"
