"""Click-to-call against a real multi-worker Odoo and the simulator's center.

The simulated center reports the call's first event to the webhook *before*
it answers Odoo's originate request, as a PBX that rings the agent at once
does: that event is handled by the other worker while the first one still
waits, and must find the call row already committed.
"""

import random
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from odoo.tests.common import get_db_name

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import simulate_call  # noqa: E402  (scripts/ is not a package)


@contextmanager
def _center(env, webhook_url, **options):
    """The simulator's center as the demo provider's Originate URL."""
    server = simulate_call.make_originate_server(
        webhook_url, simulate_call.DEMO_SECRET, 0, delay=0, log=lambda _line: None,
        **options,
    )  # fmt: skip
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    provider = env.ref("crm_callcenter.crm_callcenter_provider_generic_demo")
    original = provider.generic_originate_url
    provider.generic_originate_url = f"http://127.0.0.1:{server.server_port}/originate"
    env.cr.commit()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        env.cr.rollback()
        provider.generic_originate_url = original
        env.cr.commit()


def _agent_session(base_url):
    session = requests.Session()
    response = session.post(
        f"{base_url}/web/session/authenticate",
        json={"jsonrpc": "2.0", "method": "call", "params": {
            "db": get_db_name(), "login": "agent1", "password": "agent1"}},
        timeout=30,
    )  # fmt: skip
    response.raise_for_status()
    assert response.json().get("result", {}).get("uid"), response.text
    return session


def _click_to_call(session, base_url, number):
    """What the web client sends when agent1 clicks a phone number."""
    response = session.post(
        f"{base_url}/web/dataset/call_kw/crm.callcenter.call/action_click_to_call",
        json={"jsonrpc": "2.0", "method": "call", "params": {
            "model": "crm.callcenter.call", "method": "action_click_to_call",
            "args": [number], "kwargs": {}}},
        timeout=60,
    )  # fmt: skip
    response.raise_for_status()
    return response.json()


def _wait_for(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("the simulated center did not finish the call")
        time.sleep(0.1)


def _random_number():
    # A number nobody has: the call settles no demo call-back.
    return f"0916{random.randrange(10**6):06d}"


def test_click_to_call_events_during_the_request_land_on_the_row(odoo_server, env):
    provider = env.ref("crm_callcenter.crm_callcenter_provider_generic_demo")
    webhook = f"{odoo_server}/callcenter/webhook/{provider.webhook_token}"
    number = _random_number()
    # Without the center's id in its answer: only the correlation id, echoed
    # by its events, ties them to the row created at the click.
    with _center(env, webhook, give_call_id=False) as center:
        session = _agent_session(odoo_server)
        answer = _click_to_call(session, odoo_server, number)
        assert "error" not in answer, answer
        result = answer["result"]
        assert result["status"] == "calling"
        assert result["number"] == "+84" + number[1:]
        # ringing (during the request), then answered and ended.
        _wait_for(lambda: len(center.played) == 3)
    assert [status for _event, status in center.played] == [200, 200, 200]
    (request,) = center.received
    assert request["agent"] == "101"

    env.cr.rollback()  # new snapshot
    env.invalidate_all()
    calls = env["crm.callcenter.call"].search(
        [("correlation_id", "=", request["correlation_id"])]
    )
    assert calls.ids == [result["call_id"]], "one row: the one created at the click"
    call = calls
    agent = env.ref("crm_callcenter.user_agent_linh_demo")
    assert call.create_uid == agent, "created by the click, not by a provider event"
    assert call.external_call_id == center.played[0][0]["data"]["call_id"]
    assert (call.direction, call.state, call.outcome) == (
        "outbound",
        "ended",
        "answered",
    )
    assert call.user_id == agent
    assert call.billsec == 60
    assert len(call.event_ids) == 3
    assert set(call.event_ids.mapped("state")) == {"done"}


def test_click_to_call_refused_leaves_no_row(odoo_server, env):
    number = _random_number()
    with _center(env, "http://127.0.0.1:9/unused", outcome="refused") as center:
        session = _agent_session(odoo_server)
        answer = _click_to_call(session, odoo_server, number)
    error = answer["error"]["data"]
    assert error["name"] == "odoo.exceptions.UserError"
    assert "Agent 101 is offline" in error["message"]
    (request,) = center.received
    env.cr.rollback()
    calls = env["crm.callcenter.call"].search(
        [("correlation_id", "=", request["correlation_id"])]
    )
    assert not calls, "the row committed at the click was removed"
    assert not env["crm.callcenter.call"].search(
        [("customer_number", "=", "+84" + number[1:])]
    )


def test_simulator_refuses_unsigned_originate_requests(env):
    with _center(env, "http://127.0.0.1:9/unused") as center:
        url = f"http://127.0.0.1:{center.server_port}/originate"
        body = b'{"agent": "101", "number": "+84901234567", "correlation_id": "x"}'
        response = requests.post(url, data=body, timeout=10)
        assert response.status_code == 401
        assert not center.received
