"""The CIF notes' strategies: event-oriented prospecting, yield management, mass customization.

Known answers where the model has one (the need chain's stationary share, the
CIF's precision, the inverse-elasticity price, the customized fit), and a
knock-out for each strategy: its effect shows with its mechanism and goes
when the mechanism is switched off, on common random numbers.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from sim.engine.mechanisms.events import prevalence
from sim.engine.simulate import simulate
from sim.engine.strategies import pricing
from sim.experiments import run
from sim.stages import AWARENESS, DISSOLUTION
from tests.conftest import small
from tests.sim.test_effects import assert_positive

REPS = 8


def market(customers: int, **changes):
    """A market for a paired knock-out: REPS replications of 36 months."""
    return small(replications=REPS, horizon_months=36, population={"customers": customers}, **changes)


def in_relationship(rep) -> np.ndarray:
    """Places of the customers in a relationship at the end of a replication."""
    c = rep.customers
    stage = c.stage[: c.n]
    return np.flatnonzero((stage != DISSOLUTION) & (stage != AWARENESS))


def steady_market(**changes):
    """Customers all in a relationship from month 0, no growth offers: needs touch nothing else."""
    base = {
        "population": {"customers": 20_000, "referral_pool": 0.0},
        "segments": [{"initial_stages": [0.0, 0.0, 0.5, 0.5], "event_rate": 0.05}],
        "strategy": {"account_growth": "none"},
        "horizon_months": 30,
    }
    return small(**{**base, **changes})


def test_needs_arise_and_fade_at_the_documented_rates():
    sc = steady_market(events={"need_months": 4.0})
    rep = simulate(sc, 0, sc.seed)
    j = in_relationship(rep)
    share = rep.customers.in_need[j].mean()
    expected = prevalence(0.05, 4.0)  # 0.2 / 1.2: the two-state chain's stationary share
    se = np.sqrt(expected * (1 - expected) / len(j))
    assert abs(share - expected) < 4 * se, (share, expected, se)


def test_the_cif_flags_real_needs_at_the_stated_precision():
    sc = steady_market(
        strategy={"account_growth": "none", "prospecting": "event_oriented"},
        prospecting={"precision": 0.4, "recall": 0.8, "prior_knowledge": 1.0},
        segments=[{"initial_stages": [0.0, 0.0, 0.5, 0.5], "event_rate": 0.1}],
    )
    rep = simulate(sc, 0, sc.seed)
    j = in_relationship(rep)
    flagged = j[rep.customers.flagged[j]]
    real = rep.customers.in_need[flagged].mean()  # a flag on a customer in need is a new need spotted
    se = np.sqrt(0.4 * 0.6 / len(flagged))
    assert len(flagged) > 1000
    assert abs(real - 0.4) < 4 * se, (real, len(flagged))


def test_the_cif_costs_what_it_says_per_customer_month():
    def cost_and_months(cost):
        sc = small(strategy={"prospecting": "event_oriented"}, prospecting={"cost": cost})
        rec = simulate(sc, 0, sc.seed).recorder
        return rec.totals[:, 1].sum(), rec.relationships.sum()  # cost to serve; customer-months in a relationship

    (free, months), (paid, same) = cost_and_months(0.0), cost_and_months(5.0)
    assert months == same > 0
    assert paid - free == pytest.approx(5.0 * months, rel=1e-9)


def acceptance(res):
    return res.replications.set_index("replication").growth_acceptance


@pytest.mark.slow
def test_event_oriented_offers_are_accepted_more_and_only_through_the_need():
    def arm(prospecting, effect):
        return market(
            1500,
            segments=[{"event_rate": 0.08}],
            strategy={"prospecting": prospecting},
            prospecting={"prior_knowledge": 1.0},
            events={"acceptance_effect": effect, "fit_effect": 0.2 if effect else 0.0},
        )

    gain_on = acceptance(run(arm("event_oriented", 1.0))) - acceptance(run(arm("none", 1.0)))
    gain_off = acceptance(run(arm("event_oriented", 0.0))) - acceptance(run(arm("none", 0.0)))
    assert_positive(gain_on.to_numpy())
    assert_positive((gain_on - gain_off).to_numpy())


def test_flagged_customers_start_first_and_the_month_makes_the_offer_rates_number_of_starts():
    from sim.engine.mechanisms.growth import starters
    from sim.engine.state import Customers
    from sim.stages import EXPLORATION

    n, rate, flagged = 100_000, 0.15, 2_000
    c = Customers.blank(n, n)
    c.stage[:], c.products[:] = EXPLORATION, 1
    c.flagged[:flagged] = True
    starts = starters(c.records, np.arange(n), rate, 4, np.uint64(3), True)
    assert np.isin(np.arange(flagged), starts).all()  # every flagged customer gets an offer
    # The others start at the rate that leaves rate x n starts in expectation: binomial around it.
    rest = (rate * n - flagged) / (n - flagged)
    se = np.sqrt((n - flagged) * rest * (1.0 - rest))
    assert abs(len(starts) - rate * n) < 4 * se, (len(starts), rate * n, se)


def test_event_oriented_prospecting_makes_as_many_offers_as_random_prospecting():
    # End to end, the arms' markets drift apart (who is eligible differs), so this is a loose check of the
    # month-level equality tested exactly above.
    res = {p: run(small(replications=4, strategy={"prospecting": p})) for p in ("none", "event_oriented")}
    offers = {p: r.replications.growth_offers.to_numpy() for p, r in res.items()}
    ratio = offers["event_oriented"].sum() / offers["none"].sum()
    assert 0.9 < ratio < 1.1, ratio


def test_the_yield_managed_price_maximises_revenue_within_the_fences():
    ym = SimpleNamespace(reference_sensitivity=0.5, price_floor=0.5, price_cap=3.0)
    for sensitivity in (0.3, 0.5, 0.8):
        best = minimize_scalar(
            lambda x, s=sensitivity: -x * pricing.demand_response(x, s, 0.5), bounds=(0.5, 3.0), method="bounded"
        )
        assert pricing.price(sensitivity, 0.0, ym) == pytest.approx(best.x, abs=1e-4)
    assert pricing.price(0.5, 0.0, ym) == 1.0  # the reference customer pays list when capacity is not short
    fenced = SimpleNamespace(reference_sensitivity=0.5, price_floor=0.85, price_cap=1.25)
    assert pricing.price(1.0, 0.0, fenced) == 0.85 and pricing.price(0.1, 0.0, fenced) == 1.25


def test_the_capacity_shadow_price_brings_a_reference_customers_peak_demand_to_capacity():
    demand = SimpleNamespace(seasonality=0.4, peak_month=3)
    peak, trough = pricing.season(3, demand), pricing.season(9, demand)
    assert (peak, trough) == pytest.approx((1.4, 0.6))
    ym = SimpleNamespace(reference_sensitivity=0.5, price_floor=0.1, price_cap=10.0)
    x = pricing.price(0.5, pricing.shadow_price(peak, 1.1), ym)
    assert peak * pricing.demand_response(x, 0.5, 0.5) == pytest.approx(1.1)
    assert pricing.shadow_price(trough, 1.1) == 0.0  # idle capacity: no discount below the best price
    assert pricing.shadow_price(peak, np.inf) == 0.0
    # At list prices the capacity turns away what it cannot serve: demand is cut to capacity, never raised.
    assert peak * pricing.room(1.1, peak) == pytest.approx(1.1) and pricing.room(1.1, trough) == 1.0


def trust(res):
    return res.replications.set_index("replication").mean_trust


@pytest.mark.slow
def test_yield_management_costs_trust_through_unfairness_and_more_for_close_customers():
    def arm(pricing_rule, unfair=0.3, closeness=3.0):
        ym = {"unfair_trust": unfair, "unfair_sensitivity": 0.2, "closeness_effect": closeness}
        return market(1000, strategy={"pricing": pricing_rule}, yield_management=ym)

    standard = trust(run(arm("standard")))
    loss = standard - trust(run(arm("yield_management")))
    loss_fair = standard - trust(run(arm("yield_management", unfair=0.0)))
    loss_distant = standard - trust(run(arm("yield_management", closeness=0.0)))
    # The net effect on trust can go either way (discounts bring more purchases, and reliability with them);
    # the unfairness mechanism's own part is what must show.
    assert_positive((loss - loss_fair).to_numpy())
    assert_positive((loss - loss_distant).to_numpy())


def test_mass_customization_closes_the_stated_share_of_the_fit_gap():
    std = run(small(replications=1))
    mc = run(small(replications=1, strategy={"offering": "customized"}, offerings={"customized": {"fit_gain": 0.4}}))
    # The 300 initial customers sit in the same places in both runs (referred newcomers may differ).
    before, after = std.lifetimes.product_need_fit.to_numpy()[:300], mc.lifetimes.product_need_fit.to_numpy()[:300]
    np.testing.assert_allclose(after, before + 0.4 * (1.0 - before), rtol=1e-12)


@pytest.mark.slow
def test_mass_customization_pays_through_fit_and_costs_through_service():
    def arm(offering, gain):
        tailoring = {"customized": {"fit_gain": gain, "cost_factor": 1.15}}
        return market(1000, strategy={"offering": offering}, offerings=tailoring)

    std = run(arm("standard", 0.5)).replications
    tailored = run(arm("customized", 0.5)).replications
    cost_only = run(arm("customized", 0.0)).replications
    assert_positive((tailored.growth_acceptance - std.growth_acceptance).to_numpy())
    assert_positive((cost_only.cost_to_serve - std.cost_to_serve).to_numpy())
    assert_positive((std.profit - cost_only.profit).to_numpy())  # without the fit, tailoring only costs
