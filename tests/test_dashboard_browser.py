"""The dashboard in a real browser: it opens on the KPIs, levers change them, variants are paired, errors are named.

One dashboard serves the module's tests (as a strategist's one session
would); each test opens its own page.  Debian's Chromium, driven by
Playwright (tests/browser.py).
"""

from __future__ import annotations

import re
import time

import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.app.dashboard.controls import input_id
from sim.scenario import load_scenario
from tests.browser import chromium, dashboard

pytestmark = pytest.mark.browser
TIMEOUT = 120_000  # ms: a run on two busy cores, far above the few seconds it takes


@pytest.fixture(scope="module")
def browser():
    """One Chromium for the module (Playwright's sync API allows one at a time in a process)."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def served(tmp_path_factory, browser):
    """A dashboard on a small market of two segments (so runs take about a second) and the browser."""
    scenario = tmp_path_factory.mktemp("dash") / "small.toml"
    scenario.write_text(
        'name = "small"\nhorizon_months = 24\nreplications = 4\n[population]\ncustomers = 400\n'
        '[[segments]]\nname = "small firms"\nshare = 0.6\nwallet_median = 500.0\n'
        '[[segments]]\nname = "large firms"\nshare = 0.4\nwallet_median = 3000.0\n'
    )
    with dashboard(scenario) as url:
        yield url, browser


@pytest.fixture
def opened(served):
    """A fresh page on the dashboard, its KPI table shown, and the console errors it logs (closed afterwards)."""
    url, browser = served
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.locator("table.kpis").wait_for(timeout=TIMEOUT)
    yield page, errors
    page.close()


def _fill(page, selector: str, value: str, panel: str) -> None:
    """Type into a sidebar input, opening its accordion panel first if it is folded."""
    if not page.locator(selector).is_visible():
        page.click(f".accordion-button:has-text('{panel}')")
    page.fill(selector, value)
    page.press(selector, "Tab")  # inputs update on blur


def _download(page, button: str, path):
    """Click a download button in the "Take it away" panel and save what comes to `path`."""
    if not page.locator(button).is_visible():
        page.click(".accordion-button:has-text('Take it away')")
    with page.expect_download(timeout=TIMEOUT) as got:
        page.click(button)
    got.value.save_as(path)
    return path


def _kpi(page, name: str) -> str:
    """The mean shown for one KPI."""
    return page.locator("table.kpis tr", has=page.locator(f"td:text-is('{name}')")).locator("td").nth(1).inner_text()


def test_page_opens_on_the_kpis_with_no_console_error(opened):
    page, errors = opened
    assert page.locator("table.kpis td:text-is('profit')").count() == 1
    assert re.fullmatch(r"-?[\d,]+(\.\d+)?", _kpi(page, "profit"))
    assert "95% interval" in page.locator("table.kpis").inner_text()
    assert page.locator("#clv img").count() == 1 and page.locator("#occupancy img").count() == 1
    invalid = page.evaluate("[...document.querySelectorAll('input')].filter(e => !e.validity.valid).map(e => e.id)")
    assert invalid == []  # every input's own value passes the browser's checks (decimals included)
    assert errors == []


def test_a_lever_and_run_change_the_kpis(opened):
    page, errors = opened
    before = _kpi(page, "profit")
    page.select_option(f"#{input_id('strategy.posture')}", "collaborative")
    page.click("#run")
    page.locator("#run_caption", has_text="collaborative").wait_for(timeout=TIMEOUT)
    assert _kpi(page, "profit") != before
    assert errors == []


def test_a_saved_variant_and_the_fitd_view_show_paired_differences_with_intervals(opened):
    page, errors = opened
    page.select_option(f"#{input_id('strategy.account_growth')}", "all_at_once")
    _fill(page, "#variant_name", "aao", "What-if variants")
    page.click("#save_variant")
    page.click("text=What-if variants")
    table = page.locator("#differences table")
    table.wait_for(timeout=TIMEOUT)
    text = table.inner_text()
    assert "aao" in text and "profit" in text and "95% interval" in text
    assert re.search(r"-?[\d,.]+ \.\. -?[\d,.]+", text)  # an interval per row
    assert page.locator("#differences_plot img").count() == 1
    page.click("#fitd")  # the ready view: FITD against all-at-once at equal effort, with its caveat
    view = page.locator("#fitd_view")
    view.locator("table").wait_for(timeout=TIMEOUT)
    assert "Equal effort" in view.inner_text() and "size_effect" in view.inner_text()
    assert "all_at_once" in view.locator("table").inner_text()
    assert errors == []


def test_an_invalid_value_shows_the_validate_message_beside_its_field(opened, tmp_path):
    page, _ = opened
    _fill(page, "#f_horizon_months", "0", "Customers, horizon")
    box = page.locator("#err-f_horizon_months")
    box.wait_for(state="visible", timeout=TIMEOUT)
    page.wait_for_function("document.getElementById('err-f_horizon_months').textContent.length > 0", timeout=TIMEOUT)
    bad = tmp_path / "bad.toml"
    bad.write_text("horizon_months = 0\n")
    said = CliRunner().invoke(app, ["validate", str(bad)]).output
    shown = box.inner_text()
    assert shown.startswith("horizon_months = 0") and shown in " ".join(said.split())
    assert "Not valid yet" in page.locator("#general_errors").inner_text()


def test_the_downloaded_toml_passes_validate_and_holds_the_variants(opened, tmp_path):
    page, _ = opened
    page.select_option(f"#{input_id('strategy.offering')}", "augmented")
    _fill(page, "#variant_name", "augmented", "What-if variants")
    page.click("#save_variant")
    page.click("text=What-if variants")
    page.locator("#variants_list li", has_text="augmented").wait_for(timeout=TIMEOUT)
    path = _download(page, "#download_toml", tmp_path / "whatif.toml")
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 0, res.output
    sc = load_scenario(path)
    assert sc.strategy.offering == "augmented"
    assert sc.compare.variants["augmented"] == {"strategy.offering": "augmented"}
    assert sc.compare.variants["baseline"] == {"strategy.offering": "standard"}  # the opened scenario's value


def test_a_long_run_shows_progress_and_can_be_cancelled(opened):
    page, errors = opened
    caption = page.locator("#run_caption").inner_text()
    _fill(page, "#f_replications", "400", "Customers, horizon")
    page.click("#run")
    page.locator("#progress-bar").wait_for(timeout=TIMEOUT)
    page.click("#cancel")
    page.locator("#progress-bar").wait_for(state="detached", timeout=TIMEOUT)
    assert page.locator("#run_caption").inner_text() == caption  # the last result stays
    assert page.locator("#run").is_enabled()
    assert errors == []


def test_the_optimizers_run_from_the_page_with_their_fresh_seed_checks(opened):
    page, errors = opened
    page.click("text=Optimizers")
    page.click("#optimize_portfolio")
    page.locator("#frontier img").wait_for(timeout=TIMEOUT)
    assert "fresh seeds" in page.locator("#portfolio_view").inner_text()
    page.click("#optimize_migration")
    page.locator("#spend_plan img").wait_for(timeout=TIMEOUT)
    assert "fresh seeds" in page.locator("#migration_view").inner_text()
    assert errors == []


def test_the_report_downloads_as_one_html_file(opened, tmp_path):
    page, _ = opened
    path = _download(page, "#download_report", tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "profit" in text and "data:image/png;base64," in text


def test_crmsim_dashboard_opens_on_the_default_scenario_with_no_click(browser):
    started = time.monotonic()
    with dashboard() as url:
        answered = time.monotonic() - started
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(url)
        page.locator("table.kpis td:text-is('profit')").wait_for(timeout=TIMEOUT)
        assert "baseline: 2,000 customers, 60 months" in page.locator("#run_caption").inner_text()
        assert errors == []
    assert answered < 60
