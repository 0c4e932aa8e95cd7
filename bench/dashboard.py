"""The dashboard's waits as a strategist meets them, in Debian's Chromium driven by Playwright.

    python bench/dashboard.py [--repeat 3]

For each of `--repeat` fresh starts of ``crmsim dashboard`` (default
scenario: the baseline, 2,000 customers x 60 months x 10 replications):
- start: seconds from the command to the first HTTP answer;
- first KPIs: seconds from opening the page to the KPI table shown (no click);
- new run: seconds from clicking Run with another posture to its KPIs;
- cached: seconds to show a setting computed before (back to the first posture).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.app.dashboard.controls import input_id  # noqa: E402
from tests.browser import chromium, dashboard  # noqa: E402

POSTURE = f"#{input_id('strategy.posture')}"


def _run(page, posture: str) -> float:
    """Seconds from choosing `posture` and clicking Run to its KPIs on the page."""
    page.select_option(POSTURE, posture)
    t = time.perf_counter()
    page.click("#run")
    page.locator("#run_caption", has_text=posture).wait_for(timeout=120_000)
    return time.perf_counter() - t


def once() -> dict[str, float]:
    """One fresh start of the dashboard, timed."""
    t = time.perf_counter()
    with dashboard() as url, chromium() as browser:
        start = time.perf_counter() - t
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        t = time.perf_counter()
        page.goto(url)
        page.locator("table.kpis td:text-is('profit')").wait_for(timeout=120_000)
        first = time.perf_counter() - t
        new = _run(page, "collaborative")
        cached = _run(page, "transactional")
    return {"start": start, "first KPIs": first, "new run": new, "cached": cached}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = [once() for _ in range(args.repeat)]
    for key in rows[0]:
        values = [r[key] for r in rows]
        print(f"{key:12s} median {statistics.median(values):5.2f} s   (runs: {', '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
