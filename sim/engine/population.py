"""Drawing a heterogeneous customer population from segments.

Every customer is one entry in a set of arrays (:class:`Customers`); the
monthly market process and the per-customer episodes read and write them.
Characteristics are drawn by inverse CDF from one row of uniforms per
customer, so customer k is the same person whatever the strategy, the
number of customers after k, or the order of other draws (common random
numbers).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit
from scipy.special import betaincinv, gammaincinv, ndtri

from sim.engine.mechanisms.commitment import calculative_target
from sim.engine.mechanisms.purchases import share_of_wallet_target
from sim.engine.mechanisms.satisfaction import experience, posture_fit
from sim.engine.mechanisms.service import failure_probability
from sim.engine.mechanisms.trust import green_trust
from sim.engine.modes.base import Mode
from sim.engine.state import Customers
from sim.scenario import Scenario
from sim.stages import AWARENESS, COMMITMENT, Rung, Stage

SWITCHER = int(Rung.SWITCHER)

# Columns of the population's uniform block.
_SEGMENT, _WALLET, _NEED, _MARKET, _TRANSACTION, _FIT, _RUNG, _STAGE = range(8)


_GRID = np.linspace(0.0, 1.0, 8193)  # exact multiples of 2**-13
_TRAITS = {  # record field: (segment field, column of the uniform block)
    "need_u": ("need_uncertainty", _NEED),
    "market_u": ("market_uncertainty", _MARKET),
    "transaction_u": ("transaction_uncertainty", _TRANSACTION),
    "fit": ("product_need_fit", _FIT),
}


@lru_cache(maxsize=256)
def _beta_quantiles(a: float, b: float) -> np.ndarray:
    """The Beta(a, b) quantile function tabulated on a fine grid (exact inversion costs ~13 us a value)."""
    return betaincinv(a, b, _GRID)


@njit(cache=True, inline="always")
def _on_grid(u, q):  # noqa: ANN001, ANN202
    """Linear interpolation of `q`, tabulated on `_GRID`, at `u` (the grid's step is a power of two: no search)."""
    j = min(int(u * (len(_GRID) - 1)), len(_GRID) - 2)
    return (q[j + 1] - q[j]) / (_GRID[j + 1] - _GRID[j]) * (u - _GRID[j]) + q[j]


@njit(cache=True, inline="always")
def _category(cumulative, u):  # noqa: ANN001, ANN202
    """Categorical draw by inverse CDF: how many cumulative shares lie below u (the last is 1)."""
    i = 0
    while cumulative[i] < u:
        i += 1
    return i


@njit(cache=True)
def _place(c, u, traits, starts, drawn):  # noqa: ANN001, ANN202
    """Every place's segment, wallet and Beta traits into its record, its drawn rung and stage into `drawn`.

    `traits` is (segment shares, wallet median and sigma per segment,
    quantiles, fit gain), `starts` the cumulative initial rung and stage
    shares per segment, `drawn` the (rung, stage) arrays to fill.
    `quantiles` holds each trait's tabulated quantile function per segment
    (trait in `_TRAITS` order x segment x grid); the two end cells of the grid are inverted
    exactly afterwards (`_invert_tails`).  Mass customization tailors each
    offer: it closes `fit_gain` of the gap between a customer's needs and the products.
    """
    shares, median, sigma, quantiles, fit_gain = traits
    rungs, stages = starts
    rung, stage = drawn
    for k in range(len(u)):
        r, x = c[k], u[k]
        s = _category(shares, x[_SEGMENT])
        r.segment = s
        r.wallet = median[s] * np.exp(sigma[s] * ndtri(x[_WALLET]))
        r.need_u = _on_grid(x[_NEED], quantiles[0, s])
        r.market_u = _on_grid(x[_MARKET], quantiles[1, s])
        r.transaction_u = _on_grid(x[_TRANSACTION], quantiles[2, s])
        fit = _on_grid(x[_FIT], quantiles[3, s])
        r.fit = fit + fit_gain * (1.0 - fit)
        rung[k] = _category(rungs[s], x[_RUNG])
        stage[k] = _category(stages[s], x[_STAGE])


def _cumulative(tables: list) -> np.ndarray:
    """Cumulative shares per row, the last set to 1 so that every uniform lands in a category."""
    cum = np.cumsum(np.asarray(tables, dtype=float), axis=1)
    cum[:, -1] = 1.0
    return cum


def _invert_tails(c: Customers, scenario: Scenario, u: np.ndarray) -> None:
    """Beta traits whose uniform falls in an end cell of the grid, where the quantile function can be too steep to
    interpolate, inverted exactly (largest interpolation error elsewhere, against exact inversion: 0.003)."""
    for name, (trait, col) in _TRAITS.items():
        x = u[:, col]
        k = np.flatnonzero((x < _GRID[1]) | (x > _GRID[-2]))
        if not len(k):
            continue
        dists = [getattr(s, trait) for s in scenario.segments]
        seg = c.segment[k]
        value = betaincinv(np.array([d.a for d in dists])[seg], np.array([d.b for d in dists])[seg], x[k])
        if name == "fit":
            value = value + scenario.offering.fit_gain * (1.0 - value)
        getattr(c, name)[k] = value


def draw_population(scenario: Scenario, rng: np.random.Generator, mode: Mode) -> Customers:
    """Draw the initial customers, and the places of the customers who enter later (referred or in a cohort).

    A cohort entrant takes the next free place when its month comes, as a
    referred newcomer does; which place that is depends on how many referrals
    came first.  So that an entrant is the same customer, meeting the same
    random numbers, whatever the strategy (common random numbers), entrants are
    drawn apart (:func:`draw_cohorts`) and numbered after the initial
    customers; the places they may take carry identities after theirs.  The
    places after the initial customers are drawn only as they are taken
    (:class:`Pool`): most of the referral pool never is.
    """
    n, entrants = scenario.population.customers, sum(scenario.population.cohorts)
    arrivals = n + entrants
    return _draw(scenario, rng, mode, n, arrivals + int(round(scenario.population.referral_pool * arrivals)), entrants)


def draw_cohorts(scenario: Scenario, rng: np.random.Generator) -> Customers:
    """The customers who enter in the cohorts, in order of entry, with identities after the initial customers'.

    They all enter later, as prospects, so no behaviour mode sets their stages.
    """
    entrants = sum(scenario.population.cohorts)
    c = Customers.blank(0, entrants, ready=0)
    Pool(scenario, rng, scenario.population.customers)(c, entrants)  # all enter later: the pool's draw
    return c


class Pool:
    """Draws the places after the initial customers, in order and a chunk at a time, as they are taken.

    Place k is drawn from row k of the population's uniforms whenever it is
    drawn (the generator moves on row by row), so a referred newcomer is the
    same customer as if every place had been drawn at the start.
    """

    CHUNK = 4096  # places drawn at a time

    def __init__(self, scenario: Scenario, rng: np.random.Generator, offset: int) -> None:
        self.scenario, self.rng = scenario, rng
        self.offset = offset  # the identities of these places come after this many others (the cohorts' entrants)

    def __call__(self, c: Customers, stop: int) -> None:
        """Draw places `c.drawn` up to at least `stop` (a chunk at least, within the capacity)."""
        places = slice(c.drawn, min(max(stop, c.drawn + self.CHUNK), c.capacity))
        c.clear(places)
        c.identity[places] += self.offset
        u = self.rng.random((places.stop - places.start, uniforms_per_place(self.scenario)))
        _fill(Customers.of(c.records[places]), self.scenario, u)  # all enter later: no mode's initial stages
        c.drawn = places.stop


def _draw(scenario: Scenario, rng: np.random.Generator, mode: Mode, n: int, cap: int, offset: int) -> Customers:
    """`cap` places from the scenario's segments, the first `n` (drawn now) in the market at month 0.

    The places after the first `n`, with identities `offset` after their places, are left to a :class:`Pool`.
    """
    c = Customers.blank(n, cap, ready=n)
    _fill(c, scenario, rng.random((n, uniforms_per_place(scenario))), mode)
    _settle_existing(c, scenario)
    c.pool = Pool(scenario, rng, offset)
    return c


def _fill(c: Customers, scenario: Scenario, u: np.ndarray, mode: Mode | None = None) -> None:
    """The first len(u) places of `c` from the segments, by inverse CDF of their rows of uniforms `u`.

    One compiled pass writes each customer's record once (field by field in
    numpy, each field was a pass over every record); places from `c.n` on
    enter later, as prospects.  The behaviour `mode` sets the stages of the
    places before `c.n` (none when there are none).
    """
    segs, cap = scenario.segments, len(u)
    quantiles = np.array(
        [[_beta_quantiles(d.a, d.b) for d in (getattr(s, t) for s in segs)] for t, _ in _TRAITS.values()]
    )
    rung, stage = np.empty(cap, dtype=np.int8), np.empty(cap, dtype=np.int8)
    traits = (
        _cumulative([[s.share for s in segs]])[0], np.array([s.wallet_median for s in segs]),
        np.array([s.wallet_sigma for s in segs]), quantiles, float(scenario.offering.fit_gain),
    )  # fmt: skip
    starts = (_cumulative([s.initial_rungs for s in segs]), _cumulative([s.initial_stages for s in segs]))
    _place(c.records, u, traits, starts, (rung, stage))
    _invert_tails(c, scenario, u)
    _lifelong(c, scenario, u)
    if mode is not None:
        stage = mode.initial_stages(stage, rung).astype(np.int8)
    _start(c, scenario, c.n, stage, rung)


def uniforms_per_place(scenario: Scenario) -> int:
    """Uniforms in a place's row: 8 for its traits, and 2 more (the same row) when a segment draws multipliers.

    Both multipliers come from the place's own row, so a customer is the same customer whatever the chunks
    the pool is drawn in; without heterogeneity the rows are as they always were (the reference pins hold).
    """
    return 10 if any(s.heterogeneity.on for s in scenario.segments) else 8


def _lifelong(c: Customers, scenario: Scenario, u: np.ndarray) -> None:
    """Each place's lifelong purchase and hazard multipliers: Gamma with mean 1 and the segment's shape, or 1."""
    if u.shape[1] < 10:
        return
    seg = c.segment[: len(u)]
    for field, col, shape in (("buying", 8, "purchase_shape"), ("staying", 9, "hazard_shape")):
        shapes = np.array([getattr(s.heterogeneity, shape) or np.nan for s in scenario.segments])[seg]
        k = np.flatnonzero(~np.isnan(shapes))  # the places of segments that draw this multiplier
        getattr(c, field)[k] = gammaincinv(shapes[k], u[k, col]) / shapes[k]


@njit(cache=True)
def _begin(c, n, stage, rung, level, self_orientation, products):  # noqa: ANN001, ANN202
    """Each place's starting relationship; places from `n` on enter later, as prospects who heard of the firm.

    `level` is the trust components' starting level and `products` the products
    held, by stage.  Later entrants are at least switchers; a cohort's entrants
    try a product in their first month (the acquisition mechanism).
    """
    for k in range(len(stage)):
        r, st, ru = c[k], stage[k], rung[k]
        if k >= n:
            st, ru, r.entered = AWARENESS, max(ru, SWITCHER), -1
        r.stage, r.rung, r.initial_stage, r.initial_rung = st, ru, st, ru
        r.existing = st > AWARENESS
        r.credibility, r.reliability, r.intimacy = level[st], level[st], level[st]
        r.self_orientation = self_orientation
        r.affective = level[st] / self_orientation if r.existing else 0.0
        r.products = products[st]
        r.commitment_month = 0 if st == COMMITMENT else -1


def _start(c: Customers, scenario: Scenario, n: int, stage: np.ndarray, rung: np.ndarray) -> None:
    """The relationship each place starts with: stage and rung, trust components, products by stage."""
    by_stage = np.arange(len(Stage))
    level = np.clip(scenario.trust.initial + scenario.trust.stage_bonus * by_stage, 0.0, 1.0)
    max_p = scenario.firm.max_products
    products = np.select(
        [by_stage == Stage.EXPLORATION, by_stage == Stage.EXPANSION, by_stage == Stage.COMMITMENT],
        [1, max(1, -(-max_p // 2)), max_p],
        0,
    ).astype(np.int16)
    _begin(c.records, n, stage, rung, level, float(scenario.firm.self_orientation), products)


# Purchases an existing customer is taken to have made, by stage (exploration, expansion, commitment): the
# weight of its past experiences, so that one new experience moves it as it would move a customer of that tenure.
PAST_PURCHASES = {1: 3, 2: 12, 3: 24}


def _settle_existing(c: Customers, scenario: Scenario) -> None:
    """Start customers already in a relationship where that relationship would stand, not empty.

    Share of wallet at its target for their rung and products, satisfaction at
    the expected value of one purchase under the firm's posture (weighted as
    that many past purchases), calculative commitment at its target, and
    purchases made as their stage implies.  Without this an existing base
    starts with no revenue and no satisfaction and takes a year to recover.
    """
    j = np.flatnonzero(c.existing[: c.n])  # the customers in the market at month 0 (later places: not yet drawn)
    if not len(j):
        return
    sc, pu, sv, sp = scenario, scenario.purchasing, scenario.service, scenario.satisfaction
    rung, coverage = c.rung[j], c.products[j] / sc.firm.max_products
    need_u, market_u, tu = c.need_u[j], c.market_u[j], c.transaction_u[j]
    c.share_of_wallet[j] = share_of_wallet_target(
        np.asarray(pu.share_of_wallet)[rung], need_u, market_u, coverage, pu.need_concentration, pu.market_dispersion
    )
    p_fail = failure_probability(
        sv.failure_probability,
        tu,
        sv.transaction_uncertainty_effect,
        sc.firm.transfer_ability,
        sv.transfer_ability_effect,
        0.0,
        sv.linkage_effect,
    )
    fit = posture_fit(np.clip(sc.posture.closeness + sc.offering.closeness_shift, 0.0, 1.0), need_u, market_u)
    good = experience(False, False, tu, fit, sp.success_value, sp.failure_severity, sp.resolved_share, sp.fit_weight)
    bad = experience(True, False, tu, fit, sp.success_value, sp.failure_severity, sp.resolved_share, sp.fit_weight)
    c.satisfaction[j] = (1.0 - p_fail) * good + p_fail * bad
    past = np.vectorize(PAST_PURCHASES.get)(c.stage[j])
    c.experiences[j] = past
    c.purchases[j] = past
    # Weights of experiences 0..k-1: floor + (1 - floor) primacy^i, summed (a geometric series; k when primacy is 1).
    series = past if sp.primacy == 1.0 else (1.0 - sp.primacy**past) / (1.0 - sp.primacy)
    c.experience_weight[j] = sp.floor_weight * past + (1.0 - sp.floor_weight) * series
    trust = green_trust(c.credibility[j], c.reliability[j], c.intimacy[j], c.self_orientation[j])
    cm = sc.commitment
    switching = np.clip(cm.products_switching_weight * coverage, 0.0, 1.0)
    c.calculative[j] = calculative_target(switching, need_u * coverage, trust, cm.trust_on_calculative)
