"""The HTML report renders in a headless browser with every image loaded, and needs no network."""

from __future__ import annotations

import re
import subprocess

from typer.testing import CliRunner

from sim.app.cli import app
from tests.browser import FLAGS, need_chromium


def _browser_dom(path) -> str:
    flags = [
        "--headless",
        *FLAGS,
        f"--user-data-dir={path.parent / 'profile'}",
        "--virtual-time-budget=10000",
    ]
    cmd = [need_chromium(), *flags, "--dump-dom", path.as_uri()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return out.stdout


def test_report_is_self_contained_and_every_image_loads(tmp_path):
    need_chromium()
    f = tmp_path / "s.toml"
    f.write_text(
        'name = "tiny"\nhorizon_months = 12\nreplications = 3\n[population]\ncustomers = 200\n'
        '[compare.variants.fitd]\n"strategy.account_growth" = "foot_in_the_door"\n'
        '[compare.variants.aao]\n"strategy.account_growth" = "all_at_once"\n'
    )
    res = CliRunner().invoke(app, ["report", str(f), "--out", str(tmp_path / "r"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    page = tmp_path / "r" / "report.html"
    text = page.read_text()
    assert not re.search(r'(src|href)="(https?:)?//', text)  # nothing fetched from the network
    dom = _browser_dom(page)
    loaded = re.search(r'data-images-loaded="(\d+)"', dom)
    total = re.search(r'data-images-total="(\d+)"', dom)
    assert loaded and total, dom[:500]
    assert int(total.group(1)) >= 6 and loaded.group(1) == total.group(1)
    assert "Strategy comparison" in dom and "Scenario as run" in dom
    assert f"crmsim report {f}" in dom  # the file it ran, not a placeholder
    for name in ("occupancy", "comparison"):  # each figure also as files a planner can put in a deck
        assert (tmp_path / "r" / f"{name}.png").is_file() and (tmp_path / "r" / f"{name}.svg").is_file()
