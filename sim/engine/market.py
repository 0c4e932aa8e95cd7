"""The market: one SimPy process that advances every customer by one month at once.

Dense, periodic behaviour (interactions, purchases, service encounters,
satisfaction, commitment, share of wallet, ladder and stage moves, competitor
offers, dissolution) is vectorised over the customer arrays.  Sparse episodes
(growth-offer sequences, referrals) are started here as SimPy processes, one
per kind for the customers whose episode begins this month (see
:mod:`sim.engine.episodes`), and run between monthly steps.

Random numbers: each month draws one block of uniforms with one row per
customer and one column per purpose, from a generator seeded by (replication,
month).  Customer k's draws for month t are therefore the same whatever the
strategy or the number of other customers: common random numbers by design.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy
from scipy import stats
from scipy.special import betaincinv, gammaincinv, ndtri

from sim.engine import behaviour as bh
from sim.engine import episodes
from sim.engine import strategies as st
from sim.engine.state import Customers
from sim.engine.records import Recorder
from sim.scenario import Scenario
from sim.stages import MARKOV_STAGE_OF_RUNG, Cause, Stage

# Columns of the monthly uniform block.
(
    U_INTERACT,
    U_BUY,
    U_BASKET,
    U_FAIL,
    U_RESOLVE,
    U_UP,
    U_DOWN,
    U_FAIL_DROP,
    U_STAGE,
    U_COMPETITOR,
    U_SWITCH,
    U_DISSOLVE,
    U_REFER,
    U_REFER_DELAY,
    U_GROWTH,
    U_GROWTH_DELAY,
    U_MIGRATE,
) = range(17)
U_EPISODE = 17  # four steps x three uniforms for growth-offer decisions
N_UNIFORMS = U_EPISODE + 12
MARKOV_COLUMN, MARKOV_MIGRATE = 0, 1


def _happens(who: np.ndarray, u: np.ndarray, chance: Callable[..., np.ndarray], *per_customer: np.ndarray) -> np.ndarray:
    """Whether an event happens to each customer in mask `who`: ``u < chance(*per_customer)``.

    The chance is evaluated only for the customers in `who`: the expensive
    probabilities (logistic, exponential) concern a fraction of the market.
    """
    idx = np.flatnonzero(who)
    out = np.zeros(len(who), dtype=bool)
    out[idx] = u[idx] < chance(*(x[idx] for x in per_customer))
    return out


class Market:
    """Customers, their scenario and the month's random numbers, advanced one month at a time."""

    def __init__(
        self,
        scenario: Scenario,
        customers: Customers,
        recorder: Recorder,
        month_rng: Any,
    ) -> None:
        self.sc = scenario
        self.c = customers
        self.book = recorder
        self.month_rng = month_rng  # month -> numpy Generator
        self.block = np.empty((0, N_UNIFORMS), dtype=np.float32)
        self.month = -1
        self.discount = 1.0 / (1.0 + scenario.monthly_discount_rate)
        self.stage_of_rung = np.asarray(MARKOV_STAGE_OF_RUNG, dtype=np.int8)
        self.lost_referrals = 0
        p = scenario.purchasing
        self.p_buy = np.asarray(p.purchase_probability)
        self.rung_share = np.asarray(p.share_of_wallet)
        self.price_sensitivity = np.asarray(p.price_sensitivity)
        self.premium = np.asarray(p.price_premium)
        self.referral_rate = np.asarray(p.referral_rate)
        self.thresholds = np.asarray(scenario.ladder.thresholds)
        self.acquisition_cost = np.array([s.acquisition_cost for s in scenario.segments])
        mg = scenario.migration
        names = [s.name for s in scenario.segments]
        self.spend = np.array([mg.segment_spend.get(name, mg.spend) for name in names], dtype=float)  # segment x rung
        self.migrating = bool(self.spend.any())
        self.width = N_UNIFORMS
        if scenario.behaviour == "bgnbd":
            self.width = 3  # purchases, dropout, spend
        if scenario.behaviour == "markov":
            self.width = MARKOV_MIGRATE + 1
            m = np.asarray(scenario.markov.transitions, dtype=float)
            if m.shape[1] == m.shape[0]:
                m = np.hstack([m, np.zeros((m.shape[0], 1))])
            self.markov_cum = np.cumsum(m, axis=1)
            self.markov_cum[:, -1] = 1.0
            self.markov_margin = np.asarray(scenario.markov.margins)
        # The month's uniforms are drawn into one buffer reused every month: a fresh 10 MB array a month
        # would pay its page faults again.
        self._buffer = np.empty((customers.capacity, self.width), dtype=np.float32)

    # -- the SimPy process ------------------------------------------------

    def run(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        """Advance all customers month by month until the horizon."""
        step = {"markov": self._markov_step, "bgnbd": self._bgnbd_step}.get(self.sc.behaviour, self._agent_step)
        for t in range(self.sc.horizon_months):
            if t > 0:
                self._close_month(t - 1)
            self._open_month(t)
            step(env, t)
            yield env.timeout(1.0)
        self._close_month(self.sc.horizon_months - 1)

    def _open_month(self, t: int) -> None:
        c = self.c
        self.month = t
        # float32 uniforms: half the cost, and 2**-24 resolution is ample for monthly chances.
        self.block = self.month_rng(t).random(out=self._buffer[: c.n], dtype=np.float32)
        c.revenue[:] = 0.0
        c.month_purchases[:] = 0
        c.cost[:] = 0.0
        c.acquisition[:] = 0.0
        self.book.state(t, c)

    def _close_month(self, t: int) -> None:
        c = self.c
        n = c.n
        margin = c.revenue[:n] * self._gross_margin() - c.cost[:n] - c.acquisition[:n]
        c.clv[:n] += margin * self.discount**t
        active = (c.stage[:n] != Stage.DISSOLUTION) & (c.stage[:n] != Stage.AWARENESS)
        # Reviews judge ongoing profitability: the acquisition cost is sunk by then.
        c.window_margin[:n] += (margin + c.acquisition[:n]) * active
        c.window_cost[:n] += c.cost[:n] * active
        c.window_months[:n] += active
        self.book.flows(t, n, c.revenue[:n], c.cost[:n], c.acquisition[:n], margin, c.month_purchases[:n])

    def _gross_margin(self) -> float:
        # Markov margins are already net: revenue is booked as margin.
        return 1.0 if self.sc.behaviour == "markov" else self.sc.firm.gross_margin

    # -- buy-till-you-die mode ----------------------------------------------

    def draw_traits(self, rng: np.random.Generator) -> None:
        """Each customer's purchase rate, dropout probability and spend rate, from its segment's fitted distributions.

        Drawn by inverse CDF, so a customer's rung is simply the octile of its
        purchase rate within its segment: rung 8 holds the heaviest buyers.
        """
        c = self.c
        u = rng.random((c.capacity, 3))
        fits = [s.buy_till_you_die for s in self.sc.segments]
        seg = c.segment
        r = np.array([f.r for f in fits])[seg]
        self.rate = gammaincinv(r, u[:, 0]) / np.array([f.alpha_per_month for f in fits])[seg]
        self.dropout = betaincinv(np.array([f.a for f in fits])[seg], np.array([f.b for f in fits])[seg], u[:, 1])
        self.spend_rate = gammaincinv(np.array([f.q for f in fits])[seg], u[:, 2]) / np.array([f.gamma for f in fits])[seg]
        self.spend_shape = np.array([f.p for f in fits])[seg]
        c.rung[:] = np.minimum((u[:, 0] * 8).astype(np.int8), 7)
        c.initial_rung[:] = c.rung

    def _bgnbd_step(self, env: simpy.Environment, t: int) -> None:
        """A month of BG/NBD: Poisson purchases while active, dropout after each with the customer's p (memoryless)."""
        c, n, u = self.c, self.c.n, self.block
        alive = c.stage[:n] != Stage.DISSOLUTION
        wanted = stats.poisson.ppf(u[:, 0], self.rate[:n]).astype(np.int64)
        # The purchase after which the customer drops out: geometric in the dropout probability.
        with np.errstate(divide="ignore"):
            last = np.ceil(np.log1p(-u[:, 1].astype(float)) / np.log1p(-self.dropout[:n])).astype(np.int64)
        last = np.maximum(last, 1)
        made = np.where(alive, np.minimum(wanted, last), 0)
        spend = np.where(made > 0, gammaincinv(np.maximum(self.spend_shape[:n] * made, 1e-12), u[:, 2]) / self.spend_rate[:n], 0.0)
        c.revenue[:n] += spend
        c.month_purchases[:n] += made
        c.purchases[:n] += made
        # Stages follow repeat purchases: 2 make expansion, 5 commitment (a documented convention).
        stage = c.stage[:n]
        stage[alive & (c.purchases[:n] >= 2)] = Stage.EXPANSION
        reached = alive & (c.purchases[:n] >= 5)
        c.commitment_month[:n][reached & (c.commitment_month[:n] < 0)] = t
        stage[reached] = Stage.COMMITMENT
        self.dissolve(np.flatnonzero(alive & (wanted >= last)), Cause.DISSATISFACTION, t)

    # -- shared helpers for episodes ---------------------------------------

    def episode_uniforms(self, j: np.ndarray, step: int) -> np.ndarray:
        """The three uniforms of customers `j`'s growth-offer decision number `step` this month (rows: customers)."""
        col = U_EPISODE + 3 * (step % 4)
        return self.block[j, col : col + 3]

    def start_uniforms(self, j: np.ndarray) -> np.ndarray:
        """A uniform per customer `j` for the start of its growth episode this month (e.g. its decision time)."""
        return self.block[j, U_GROWTH_DELAY].astype(float)

    def dissolve(self, idx: Any, cause: Cause, t: int | None = None) -> None:
        """End the relationships of customers `idx` (an index array, mask or int)."""
        c = self.c
        c.stage[idx] = Stage.DISSOLUTION
        c.dissolved_month[idx] = self.month if t is None else t
        c.cause[idx] = cause

    def experience(self, j: Any, x: Any) -> None:
        """Fold experiences `x` into the satisfaction of customers `j`."""
        c, s = self.c, self.sc.satisfaction
        c.satisfaction[j], c.experience_weight[j] = bh.update_satisfaction(
            c.satisfaction[j], c.experience_weight[j], c.experiences[j], x, s.negativity_bias, s.primacy, s.floor_weight
        )
        c.experiences[j] += 1

    def admit_referral(self, referrer: int) -> None:
        """A referred prospect from the pool enters the market (or is counted as lost if the pool is empty)."""
        c = self.c
        c.referrals[referrer] += 1
        if c.n >= c.capacity:
            self.lost_referrals += 1
            return
        k = c.n
        c.n += 1
        c.entered[k] = self.month + 1  # first recorded next month
        c.referred_by[k] = referrer

    # -- Markov mode -------------------------------------------------------

    def _markov_step(self, env: simpy.Environment, t: int) -> None:
        c, n = self.c, self.c.n
        alive = c.stage[:n] != Stage.DISSOLUTION
        rung = c.rung[:n]
        c.revenue[:n] = np.where(alive, self.markov_margin[rung], 0.0)
        nxt = (self.block[:, MARKOV_COLUMN, None] > self.markov_cum[rung]).sum(axis=1)
        if self.migrating:
            # A customer the spend moves up takes that step this month instead of the matrix's.
            ia = np.flatnonzero(alive)
            moved = np.zeros(n, dtype=bool)
            moved[ia] = self._migrate(ia, rung[ia], self.block[ia, MARKOV_MIGRATE])
            nxt = np.where(moved, np.minimum(rung + 1, len(self.markov_margin) - 1), nxt)
        out = alive & (nxt == self.markov_cum.shape[1] - 1)
        stay = alive & ~out
        c.rung[:n] = np.where(stay, nxt, rung)
        c.stage[:n] = np.where(stay, self.stage_of_rung[c.rung[:n]], c.stage[:n])
        self.dissolve(np.flatnonzero(out), Cause.MARKOV, t)

    def _migrate(self, j: np.ndarray, rung: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Spend the migration budget on customers `j` on rungs `rung` (prospects too: they stand on the ladder).

        Returns which of them the spend moves up a rung (`u`: their uniforms).
        """
        c, mg = self.c, self.sc.migration
        spend = self.spend[c.segment[j], rung]
        c.cost[j] += spend
        return u < bh.migration_probability(spend, mg.p_max, mg.scale)

    def _climb(self, j: np.ndarray, u: np.ndarray, shaken: np.ndarray) -> None:
        """Move customers `j` (uniform rows `u`) one rung up or down the ladder; `shaken` ones were knocked down."""
        c, ld = self.c, self.sc.ladder
        rung = c.rung[j]
        drive = bh.ladder_drive(c.trust(j), c.satisfaction[j], c.affective[j], ld.trust_weight, ld.satisfaction_weight, ld.affective_weight)
        up = u[:, U_UP] < bh.climb_probability(drive, rung, self.thresholds, ld.up_rate, ld.steepness)
        if self.migrating:
            up |= self._migrate(j, rung, u[:, U_MIGRATE]) & (rung < len(self.thresholds))
        may_drop = ~up & (rung > 0)
        k = np.flatnonzero(may_drop & ~shaken)
        drop = np.zeros(len(j), dtype=bool)
        drop[k] = u[k, U_DOWN] < bh.drop_probability(drive[k], rung[k], self.thresholds, ld.down_rate, ld.steepness)
        down = may_drop & (shaken | drop)
        c.rung[j] = rung + (up.astype(np.int8) - down.astype(np.int8))

    def _review(self, t: int) -> None:
        """Classify customers in a relationship by the policy's scheme and set each one's action."""
        c, pp = self.c, self.sc.portfolio_policy
        n = c.n
        tenure = t - np.maximum(c.acquired_month[:n], 0)  # existing customers count from month 0
        ready = (c.window_months[:n] > 0) & (tenure >= pp.min_tenure_months)
        who = np.flatnonzero((c.stage[:n] != Stage.DISSOLUTION) & (c.stage[:n] != Stage.AWARENESS) & ready)
        months = c.window_months[who]
        classes = st.classify(
            pp.scheme, c.window_margin[who] / months, c.window_cost[who] / months, c.rung[who], c.share_of_wallet[who],
            pp.loyal_rung, pp.high_effort,
        )
        codes = st.action_codes(classes, pp.action_of())
        c.action[who] = codes
        self.dissolve(who[codes == st.FIRE], Cause.FIRED, t)
        c.window_margin[:n] = 0.0
        c.window_cost[:n] = 0.0
        c.window_months[:n] = 0

    # -- agent mode --------------------------------------------------------

    def _agent_step(self, env: simpy.Environment, t: int) -> None:
        sc, c = self.sc, self.c
        u = self.block
        n = c.n
        post, firm, tr, pp, offer = sc.posture, sc.firm, sc.trust, sc.portfolio_policy, sc.offering
        stage, rung = c.stage[:n], c.rung[:n]
        alive = stage != Stage.DISSOLUTION
        prospect = stage == Stage.AWARENESS

        # Prospects may try a product, and so become customers in exploration.
        trial = prospect & (u[:, U_BUY] < sc.stages.trial_rate * self.p_buy[rung])
        new = np.flatnonzero(trial)
        stage[new] = Stage.EXPLORATION
        c.acquired_month[new] = t
        c.products[new] = np.maximum(c.products[new], 1)
        c.acquisition[new] += self.acquisition_cost[c.segment[new]]

        # Customers in a relationship (today's triers included) are stepped on copies of their state, written
        # back below: most of a market is prospects who never tried or former customers, who need none of this.
        a = np.flatnonzero((alive & ~prospect) | trial)
        ua, new_a = np.take(u, a, axis=0), trial[a]  # take: ~3x faster than fancy indexing for whole rows
        old_a = ~new_a  # in a relationship before this month
        rung_a, need_u, market_u, tu = rung[a], c.need_u[a], c.market_u[a], c.transaction_u[a]
        cred, rel, intim, cost = c.credibility[a], c.reliability[a], c.intimacy[a], c.cost[a]

        # Portfolio-policy actions and the offering adjust rates, costs and prices per customer.
        act = c.action[a]
        invest, streamline, reprice = act == st.INVEST, act == st.STREAMLINE, act == st.REPRICE
        rate = np.minimum((post.interaction_rate + invest * pp.invest_interactions) * (1.0 - streamline * pp.streamline_interactions), 1.0)
        cost_factor = offer.cost_factor * (1.0 - streamline * pp.streamline_saving)
        price = post.price_index * offer.price_factor * (1.0 + reprice * pp.price_rise)

        # Firm interactions (communication, bridging, coordination) build credibility and intimacy.
        interact = old_a & (ua[:, U_INTERACT] < rate)
        cred += interact * tr.credibility_gain * (1.0 - cred)
        intim += interact * tr.intimacy_gain * post.closeness * (1.0 - intim)
        cost += interact * post.interaction_cost + (old_a & invest) * pp.invest_cost

        # Purchases at the rung's rate (a trial is a purchase).
        buy = (old_a & (ua[:, U_BUY] < self.p_buy[rung_a])) | new_a
        coverage = c.products[a] / firm.max_products
        sow_target = bh.share_of_wallet_target(
            self.rung_share[rung_a], need_u, market_u, coverage, sc.purchasing.need_concentration, sc.purchasing.market_dispersion
        )
        sow = c.share_of_wallet[a]
        sow[new_a] = sow_target[new_a]
        b = np.flatnonzero(buy)
        revenue = np.zeros(len(a))
        revenue[b] = c.wallet[a[b]] * sow[b] * (1.0 + self.premium[rung_a[b]]) * price[b] * bh.basket(ndtri(ua[b, U_BASKET]), sc.purchasing.basket_cv)
        cost += (post.cost_to_serve + post.cost_to_serve_share * revenue) * cost_factor

        # Service encounters after purchases; failures hurt reliability, recoveries cost money.
        sv = sc.service
        linkage = c.linkage[a]
        p_fail = bh.failure_probability(
            sv.failure_probability, tu, sv.transaction_uncertainty_effect, firm.transfer_ability, sv.transfer_ability_effect, linkage,
            sv.linkage_effect,
        )
        failed = buy & (ua[:, U_FAIL] < p_fail)
        resolved = failed & (ua[:, U_RESOLVE] < post.conflict_resolution)
        served = buy & ~failed
        rel += served * tr.reliability_gain * (1.0 - rel)
        rel -= failed * np.minimum(tr.reliability_loss * (1.0 + tu), 1.0) * rel
        cost += resolved * post.recovery_cost
        c.credibility[a], c.reliability[a], c.intimacy[a], c.cost[a] = cred, rel, intim, cost
        c.revenue[a] += revenue
        c.purchases[a] += buy
        c.month_purchases[a] += buy
        if len(b):
            sp = sc.satisfaction
            fit = bh.posture_fit(np.clip(post.closeness + offer.closeness_shift, 0.0, 1.0), need_u[b], market_u[b])
            self.experience(a[b], bh.experience(failed[b], resolved[b], tu[b], fit, sp.success_value, sp.failure_severity, sp.resolved_share, sp.fit_weight))

        # Commitment: affective follows trust; calculative follows switching costs and dependence.
        cm = sc.commitment
        trust, sat = c.trust(a), c.satisfaction[a]
        linkage += post.linkage_rate * (1.0 - linkage)
        switching = np.clip(cm.products_switching_weight * coverage + cm.linkage_switching_weight * linkage, 0.0, 1.0)
        dependence = need_u * np.maximum(coverage, linkage)
        aff, calc = c.affective[a], c.calculative[a]
        aff += cm.affective_rate * (trust - aff)
        calc += cm.calculative_rate * (bh.calculative_target(switching, dependence, trust, cm.trust_on_calculative) - calc)
        sow += sc.purchasing.sow_adjustment * (sow_target - sow)
        c.linkage[a], c.affective[a], c.calculative[a], c.share_of_wallet[a] = linkage, aff, calc, sow

        # The loyalty ladder, for prospects too: one rung up or down at most per month.
        unresolved = failed & ~resolved
        shaken = np.zeros(n, dtype=bool)
        shaken[a] = unresolved & (ua[:, U_FAIL_DROP] < sc.ladder.failure_drop * tu)
        ia = np.flatnonzero(alive)
        self._climb(ia, np.take(u, ia, axis=0), shaken[ia])

        # Relationship stages.
        sg = sc.stages
        us, stage_a = ua[:, U_STAGE], stage[a]
        ready = (stage_a == Stage.EXPLORATION) & (c.purchases[a] >= sg.min_purchases)
        to_expansion = _happens(ready, us, lambda tr, s: sg.expansion_rate * bh.logistic(sg.steepness * (tr + 0.5 * s - sg.expansion_threshold)), trust, sat)
        gap = sg.steepness * ((trust + 0.5 * (aff + calc) + sow) / 3.0 - sg.commitment_threshold)
        to_commitment = _happens(stage_a == Stage.EXPANSION, us, lambda g: sg.commitment_rate * bh.logistic(g), gap)
        regress = _happens(stage_a == Stage.COMMITMENT, us, lambda g: sg.regression_rate * bh.logistic(-g), gap)
        stage[a[to_expansion]] = Stage.EXPANSION
        stage[a[to_commitment]] = Stage.COMMITMENT
        stage[a[regress]] = Stage.EXPANSION
        first = a[to_commitment]
        c.commitment_month[first[c.commitment_month[first] < 0]] = t

        # Competitor offers (more frequent under market uncertainty) and dissolution.
        co = sc.competition
        approached = ua[:, U_COMPETITOR] < co.offer_rate * (1.0 + co.market_uncertainty_effect * market_u)
        # A price rise adds to the pull of a cheaper competitor.
        pull = self.price_sensitivity[rung[a]] + reprice * pp.price_rise
        switched = _happens(approached, ua[:, U_SWITCH], lambda *x: bh.switch_probability(*x, co), pull, switching, aff, sat)
        ended = _happens(~switched, ua[:, U_DISSOLVE], lambda *x: bh.dissolution_hazard(*x, sc.dissolution), sat, trust, calc, dependence, unresolved, tu)
        lost = prospect & ~trial & (u[:, U_DISSOLVE] < sg.prospect_exit_rate)
        self.dissolve(a[switched], Cause.COMPETITOR, t)
        self.dissolve(a[ended], Cause.DISSATISFACTION, t)
        self.dissolve(np.flatnonzero(lost), Cause.PROSPECT_LOST, t)

        # Credibility and intimacy drift back without contact; pushed offers are slowly forgiven.
        cred, intim = c.credibility[:n], c.intimacy[:n]
        cred += tr.decay * (tr.initial - cred)
        intim += tr.decay * (tr.initial - intim)
        so = c.self_orientation[:n]
        so += tr.self_orientation_recovery * (firm.self_orientation - so)

        if pp.scheme != "none" and t > 0 and t % pp.review_months == 0:
            self._review(t)

        # Sparse episodes start here and run between monthly steps.
        still = stage != Stage.DISSOLUTION
        referring = np.flatnonzero(still & (u[:, U_REFER] < self.referral_rate[rung]))
        if len(referring):
            env.process(episodes.referrals(env, self, referring, u[referring, U_REFER_DELAY].astype(float)))
        growth = sc.strategy.account_growth
        if growth != "none":
            rate = getattr(sc.account_growth, growth).offer_rate
            eligible = still & (stage != Stage.AWARENESS) & (c.products[:n] < firm.max_products) & ~c.in_episode[:n]
            starts = np.flatnonzero(eligible & (u[:, U_GROWTH] < rate))
            if len(starts):
                c.in_episode[starts] = True  # until the customer's episode ends
                st.ACCOUNT_GROWTH[growth](env, self, starts)
