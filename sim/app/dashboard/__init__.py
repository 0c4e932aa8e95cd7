"""A what-if dashboard for strategists: levers, KPIs with intervals, paired variants and optimizers in a browser.

Built on Shiny for Python (see README, "Dashboard", for why).  The layout
(:mod:`.page`) and the behaviour (:mod:`.server`) read the scenario schema
through :mod:`.controls`; simulations run in a background worker process
(:mod:`.worker`, jobs in :mod:`.jobs`), so the page never freezes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.scenario import Scenario

#: The opening run's size: at most this many customer-months in all, so the first result comes within seconds.
INTERACTIVE = 1_500_000


def interactive(scenario: Scenario) -> Scenario:
    """The scenario at a size that runs within seconds on 2 cores: 2 to 10 replications, then fewer customers."""
    reps = min(max(scenario.replications, 2), 10)  # two at least, for an interval
    per_customer = scenario.horizon_months * reps
    customers = scenario.population.customers
    if customers * per_customer > INTERACTIVE:
        customers = max(100, INTERACTIVE // per_customer)
    return scenario.with_overrides(
        replications=reps, population={**scenario.population.model_dump(), "customers": customers}
    )


def make_app(
    scenario: Scenario, host: str = "127.0.0.1", port: int = 8000, plans: Path | None = None
) -> tuple[Any, Any]:
    """The dashboard for `scenario` served at host:port, and its worker (its first run starts now).

    Only requests from the dashboard's own origin are answered (:mod:`.guard`); plan files come by upload or
    from the folder `plans`.
    """
    from sim.app.dashboard.jobs import Job
    from sim.app.dashboard.worker import Worker

    start = interactive(scenario)
    worker = Worker()
    worker.start(Job("run", start))  # first: the worker starts while this process builds the page

    from shiny import App

    import sim.viz.report  # noqa: F401  (the figures' code, loaded before the first page asks for them)
    from sim.app.dashboard.guard import SameOrigin, allowed_hosts
    from sim.app.dashboard.page import layout
    from sim.app.dashboard.server import plan_files, server_for

    app = App(layout(scenario, start, plan_files(plans)), server_for(scenario, start, worker, plans))
    return SameOrigin(app, allowed_hosts(host, port)), worker


def serve(scenario: Scenario, host: str = "127.0.0.1", port: int = 8000, plans: Path | None = None) -> None:
    """Start the dashboard on host:port and serve until interrupted (the worker process stops with it)."""
    import socket

    import uvicorn

    from sim.errors import UsageError

    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(
                f"--port {port}: cannot listen on {host}:{port} ({exc.strerror}); choose another port"
            ) from None
    if plans is not None and not plans.is_dir():
        raise UsageError(f"--plans {plans}: not a folder; give the folder that holds your plan CSVs")
    app, worker = make_app(scenario, host, port, plans)
    shown = f"[{host}]" if ":" in host else host
    print(f"crmsim dashboard on http://{shown}:{port}/ (Ctrl+C stops it)", flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        worker.close()
