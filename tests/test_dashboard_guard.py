"""The dashboard's doors: only its own origin gets in, and plan files come by upload or from the --plans folder."""

from __future__ import annotations

import asyncio

import pytest

from sim.app.dashboard.controls import controls, excluded
from sim.app.dashboard.guard import SameOrigin, allowed_hosts
from sim.app.dashboard.server import plan_files, plan_source
from sim.scenario import Scenario
from sim.scenario.plans import plan_changes


async def _inner(scope, receive, send):
    """The dashboard behind the guard: answers a page, or accepts a WebSocket session."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
    else:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"page"})


def _ask(kind: str, host: str = "127.0.0.1:8000", origin: str | None = None) -> tuple[int | str, bytes]:
    """What the guarded app answers a request of `kind` (http or websocket) with these headers."""
    headers = [(b"host", host.encode())] + ([(b"origin", origin.encode())] if origin is not None else [])
    scope = {"type": kind, "path": "/", "headers": headers}
    sent: list[dict] = []

    async def receive():
        return {"type": "websocket.connect"} if kind == "websocket" else {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    asyncio.run(SameOrigin(_inner, allowed_hosts("127.0.0.1", 8000))(scope, receive, send))
    if kind == "websocket":
        return sent[0]["type"], b""
    return sent[0]["status"], sent[1]["body"]


def test_the_page_opens_from_its_own_origin():
    assert _ask("http") == (200, b"page")
    assert _ask("http", origin="http://127.0.0.1:8000") == (200, b"page")
    assert _ask("http", "localhost:8000", "http://localhost:8000") == (200, b"page")
    assert _ask("websocket", origin="http://127.0.0.1:8000")[0] == "websocket.accept"


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:9999", "null", "file://"])
def test_another_origin_is_refused_on_http_and_websocket(origin):
    status, body = _ask("http", origin=origin)
    assert status == 403 and b"another origin" in body
    assert _ask("websocket", origin=origin)[0] == "websocket.close"


def test_a_rebound_hostname_is_refused():
    assert _ask("http", "evil.example:8000")[0] == 403
    assert _ask("websocket", "evil.example:8000", "http://evil.example:8000")[0] == "websocket.close"


def test_a_server_bound_to_every_network_still_names_its_hosts():
    assert "0.0.0.0:8000" in allowed_hosts("0.0.0.0", 8000) and "localhost:8000" in allowed_hosts("0.0.0.0", 8000)
    assert allowed_hosts("10.0.0.5", 8000) == {"10.0.0.5:8000"}


def test_no_control_names_a_plan_file_by_path():
    paths = [c.path for c in controls(Scenario()) if not excluded(c.path)]
    assert not [p for p in paths if p.endswith(".plan")]


def test_only_an_upload_or_a_file_listed_in_the_plans_folder_is_read(tmp_path):
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "q3.csv").write_text("rung,spend_per_customer\n2,5.0\n")
    (tmp_path / "secret.csv").write_text("rung,spend_per_customer\n1,1\n")
    assert plan_files(plans) == ["q3.csv"] and plan_files(None) == []
    assert plan_source(None, "q3.csv", plans) == (plans / "q3.csv", "q3.csv")
    for sneaky in ("../secret.csv", str(tmp_path / "secret.csv"), "/etc/passwd", "q3.csv/../../secret.csv"):
        assert plan_source(None, sneaky, plans) is None
    assert plan_source(None, "q3.csv", None) is None  # no folder given: nothing is picked from disk
    upload = [{"name": "../../my plan.csv", "datapath": str(tmp_path / "secret.csv")}]
    assert plan_source(upload, "", None) == (tmp_path / "secret.csv", "my plan.csv")


def test_a_plan_sets_the_spend_and_its_errors_name_the_upload_never_the_server_path(tmp_path):
    good = tmp_path / "upload-0.csv"
    good.write_text("rung,investment,spend_per_customer\n2,social,4.0\n3,direct,1.5\n")
    changes = plan_changes(good, "mine.csv")
    assert changes["investments.social.spend"] == [0, 4.0, 0, 0, 0, 0, 0, 0]
    assert changes["migration.spend"] == [0, 0, 1.5, 0, 0, 0, 0, 0]
    for text in ("rung,spend_per_customer\n9,1\n", "not,a,plan\n1,2,3\n", "\x00\x01binary"):
        bad = tmp_path / "upload-1.csv"
        bad.write_text(text)
        with pytest.raises(ValueError) as caught:
            plan_changes(bad, "mine.csv")
        assert "mine.csv" in str(caught.value) and str(tmp_path) not in str(caught.value)
