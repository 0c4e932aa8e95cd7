"""A real browser for the tests: Debian's Chromium (which .ci/run installs), driven by Playwright, and a dashboard.

    python -m tests.browser DIR     # screenshots of the dashboard's main views for README

Playwright's own browser download is not available here, so every launch
passes Chromium's executable_path; the flags keep Chromium from reaching for
the network (refused on a closed machine, and noise in the console).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.app.dashboard.controls import input_id

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[1]


def need_chromium() -> str:
    """Chromium's path; in CI a missing browser fails the test (never a skip), elsewhere it skips."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing in CI: .ci/run installs it with apt-get install chromium")
        pytest.skip("needs Chromium (apt-get install chromium)")
    return CHROMIUM


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def dashboard(scenario: Path | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Start ``crmsim dashboard`` on a free port; yield its address once it answers (within `timeout` seconds)."""
    port = free_port()
    cmd = [sys.executable, "-m", "sim", "dashboard", "--port", str(port)] + ([str(scenario)] if scenario else [])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # A session of its own, so that the server, its worker and the worker's pool all stop together.
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    raise RuntimeError(f"the dashboard did not answer on {url}: {proc.stdout.read()}") from None
                time.sleep(0.1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def chromium() -> Iterator[object]:
    """A headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=need_chromium(), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def _shot(page, anchor: str, path: Path) -> Path:
    """A screenshot of the window with `anchor` scrolled to its top."""
    page.locator(anchor).evaluate("el => el.scrollIntoView()")
    page.wait_for_timeout(500)
    page.screenshot(path=path)
    return path


def screenshots(folder: Path) -> list[Path]:
    """The dashboard's main views on the shipped four-segment market, as PNG files in `folder` (for README)."""
    folder.mkdir(parents=True, exist_ok=True)
    wait = 300_000
    with dashboard(ROOT / "scenarios" / "segments.toml") as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 960})
        page.goto(url)
        page.locator("table.kpis").wait_for(timeout=wait)
        page.locator("#occupancy img").wait_for(timeout=wait)
        shots = [_shot(page, "#run_caption", folder / "dashboard-results.png")]
        page.select_option(f"#{input_id('strategy.posture')}", "collaborative")
        page.click(".accordion-button:has-text('What-if variants')")
        page.fill("#variant_name", "collaborative")
        page.click("#save_variant")
        page.click("text=What-if variants")
        page.locator("#differences_plot img").wait_for(timeout=wait)
        shots.append(_shot(page, "#variants_list", folder / "dashboard-variants.png"))
        page.click("#fitd")
        page.locator("#fitd_view table").wait_for(timeout=wait)
        shots.append(_shot(page, "#fitd", folder / "dashboard-fitd.png"))
        page.click("text=Optimizers")
        page.click("#optimize_portfolio")
        page.locator("#frontier img").wait_for(timeout=wait)
        shots.append(_shot(page, "#capacity", folder / "dashboard-optimizers.png"))
    return shots


if __name__ == "__main__":
    for path in screenshots(Path(sys.argv[1] if len(sys.argv) > 1 else "notebooks/figures")):
        print(path)
