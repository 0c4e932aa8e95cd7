"""Which inference method for `crmsim calibrate --model agent`: ABC-SMC (pyabc) against simulated method of moments
with a Bayesian optimizer (optuna's TPE), on the same simulated log, statistics and simulation budget.

    pip install optuna    # only this benchmark needs it
    python bench/calibration_methods.py [--seed 1] [--budget 4000]

Both minimise the same distance between the log's summary statistics and a
simulation's (each statistic scaled by its spread over prior draws, groups
weighted as in the fit).  SMM returns the best point found; ABC-SMC returns a
posterior, whose median is compared here and whose 90% intervals are what
`NAME.parameters.csv` reports.  Printed: each method's relative error per
parameter, simulations and seconds.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from calibration import TRUTH

from sim.calibration import agent
from sim.calibration.transactions import read_log, simulated_log
from sim.experiments import run
from sim.scenario import Scenario


def simulated_file(seed: int) -> pd.DataFrame:
    truth = Scenario(
        horizon_months=18, record="customers", population={"customers": 0, "cohorts": [333] * 6, "referral_pool": 0.0}
    )
    truth = agent.with_parameters(truth, {k: agent.sampled(k, v) for k, v in TRUTH.items()})
    res = run(truth, 1, seed)
    return read_log("sim", frame=simulated_log(res.customers, "2025-01-01", seed), allow_duplicates=True)


def smm(log: pd.DataFrame, end: pd.Timestamp, seed: int, budget: int) -> tuple[dict[str, float], int]:
    """Simulated method of moments: optuna's TPE on the scaled, weighted distance; the best point found."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    c = agent.cohorts(log, end)
    base = agent.base_scenario(Scenario(), c, c.months)
    bounds = agent.priors(base, c.observed, c.months, seed)
    observed = agent.statistics(c.observed, c.months)
    names = list(observed)
    weight = np.array([agent.weights(names)[k] for k in names])
    rng = np.random.default_rng(seed)

    def stats(values: dict[str, float]) -> np.ndarray:
        sc = agent.with_parameters(base, values)
        s = agent.statistics(agent.from_simulation(sc, 0, int(rng.integers(2**31))), c.months)
        return np.array([s[k] for k in names])

    pilot = np.array([stats({k: rng.uniform(lo, hi) for k, (lo, hi) in bounds.items()}) for _ in range(100)])
    scale = np.maximum(np.median(np.abs(pilot - np.median(pilot, axis=0)), axis=0), 1e-9)
    target = np.array([observed[k] for k in names])

    def objective(trial) -> float:
        values = {k: trial.suggest_float(k, lo, hi) for k, (lo, hi) in bounds.items()}
        return float(np.sqrt(np.sum((weight * (stats(values) - target) / scale) ** 2)))

    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    study.optimize(objective, n_trials=budget - len(pilot))
    best = dict(study.best_params)
    best[agent.WALLET] = float(np.exp(best[agent.WALLET]))
    return best, budget


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=int, default=4000, help="simulations for SMM (ABC-SMC uses what it needs)")
    args = ap.parse_args()
    log, end = simulated_file(args.seed), pd.Timestamp("2025-12-31")
    rows = []
    t = time.perf_counter()
    fit = agent.fit_agent(log, end, Scenario(), seed=args.seed, jobs=1)
    abc_time = time.perf_counter() - t
    draws = fit.draws.assign(**{agent.WALLET: np.exp(fit.draws[agent.WALLET])})
    w = draws.weight.to_numpy()
    median = {k: agent.weighted_quantile(draws[k].to_numpy(), w, 0.5) for k in TRUTH}
    t = time.perf_counter()
    best, sims = smm(log, end, args.seed, args.budget)
    smm_time = time.perf_counter() - t
    for k, truth in TRUTH.items():
        rows.append({"parameter": k, "truth": truth, "abc_smc": median[k], "smm_tpe": best[k]})
    table = pd.DataFrame(rows)
    for m in ("abc_smc", "smm_tpe"):
        table[f"{m}_error"] = (table[m] - table.truth).abs() / table.truth
    print(table.round(3).to_string(index=False))
    for name, n, took, err in (
        ("ABC-SMC (pyabc)", fit.simulations, abc_time, table.abc_smc_error.mean()),
        ("SMM (optuna TPE)", sims, smm_time, table.smm_tpe_error.mean()),
    ):
        print(f"{name}: {n:,} simulations, {took:.0f} s, mean relative error {err:.2f}")


if __name__ == "__main__":
    main()
