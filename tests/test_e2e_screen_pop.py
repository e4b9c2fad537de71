"""The screen pop through a production-like Odoo: two HTTP workers, the
websocket process, a cron worker.

Agents connect to ``/websocket`` like the web client's websocket worker
(session cookie, ``subscribe``). A signed ringing event for agent 101 posted
to the webhook reaches agent 101's socket with the caller's number, and not
agent 102's. This is also the check that the websocket process starts at
all (see requirements.txt, setuptools).
"""

import json
import time
import uuid
from datetime import datetime, timezone

import requests
import websocket
from demo_center import signed_headers

from odoo.addons.bus.websocket import WebsocketConnectionHandler

NOTIFICATION = "crm_callcenter/call"


def _login(base_url, database, login, password):
    session = requests.Session()
    response = session.post(
        f"{base_url}/web/session/authenticate",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"db": database, "login": login, "password": password},
        },
        timeout=30,
    )
    assert response.json().get("result", {}).get("uid"), response.text
    return session


def _socket(ws_url, base_url, session, last_id):
    cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    ws = websocket.create_connection(
        f"{ws_url}?version={WebsocketConnectionHandler._VERSION}",
        cookie=cookie,
        origin=base_url,
        timeout=1,
    )
    ws.send(
        json.dumps(
            {"event_name": "subscribe", "data": {"channels": [], "last": last_id}}
        )
    )
    return ws


def _pops(ws, number, seconds):
    """The call notifications of ``number`` the socket receives within
    ``seconds`` (returned at the first one)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frame = ws.recv()
        except websocket.WebSocketTimeoutException:
            continue
        calls = [
            notification["message"].get("payload") or {}
            for notification in (json.loads(frame) if frame else [])
            if (notification.get("message") or {}).get("type") == NOTIFICATION
        ]
        found = [call for call in calls if call.get("number") == number]
        if found:
            return found
    return []


def test_a_ringing_call_pops_on_its_agents_websocket_only(
    odoo_server, odoo_websocket_url, env
):
    provider = env.ref("crm_callcenter.crm_callcenter_provider_generic_demo")
    env.cr.execute("SELECT COALESCE(max(id), 0) FROM bus_bus")
    last_id = env.cr.fetchone()[0]
    database = env.cr.dbname
    sockets = {
        login: _socket(
            odoo_websocket_url,
            odoo_server,
            _login(odoo_server, database, login, login),
            last_id,
        )
        for login in ("agent1", "agent2")  # extensions 101 and 102 (demo)
    }
    try:
        number = f"+8490{uuid.uuid4().int % 10**7:07d}"
        body = json.dumps(
            {
                "type": "call.ringing",
                "timestamp": datetime.now(timezone.utc).isoformat(),
                "data": {
                    "call_id": f"pop-{uuid.uuid4().hex[:8]}",
                    "direction": "inbound",
                    "from": number,
                    "to": "+842838123456",
                    "agent": "101",
                },
            }
        ).encode()
        response = requests.post(
            f"{odoo_server}/callcenter/webhook/{provider.webhook_token}",
            data=body,
            headers=signed_headers(f"msg_{uuid.uuid4().hex}", body),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        popped = _pops(sockets["agent1"], number, 15)
        assert popped, "agent 101 got no screen pop"
        assert popped[0]["state"] == "ringing"
        assert not _pops(sockets["agent2"], number, 2), "agent 102 saw it too"
    finally:
        for ws in sockets.values():
            ws.close()
