"""Recordings kept in Odoo, end to end: the webhook of a real two-worker Odoo
marks the recorded call, its cron worker downloads the audio over real HTTP
from a media server (a local one, standing for the center's), and the call
plays from Odoo with seeking."""

import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from test_e2e_webhook import _post_signed, simulate_call

from odoo.tests.common import get_db_name

AUDIO = bytes(range(256)) * 256


class _Media(BaseHTTPRequestHandler):
    """The center's media server: one MP3 per path, counting the downloads."""

    downloads = []

    def do_GET(self):
        type(self).downloads.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.send_header("Content-Length", str(len(AUDIO)))
        self.end_headers()
        self.wfile.write(AUDIO)

    def log_message(self, *_args):
        pass


@pytest.fixture
def media_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Media)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Media.downloads = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _event(event_type, call_id, at, **data):
    body = json.dumps(
        {
            "type": event_type,
            "timestamp": at.isoformat(),
            "data": {
                "call_id": call_id,
                "direction": "inbound",
                # Not the number of the addons' unit tests: this call is
                # committed, and their missed calls must not find it answered.
                "from": "0909888001",
                "to": "+842838123456",
                "agent": "101",
                **data,
            },
        }
    ).encode()
    return f"msg_{call_id}_{event_type}", body


def test_recording_kept_by_the_cron_worker_and_played_from_odoo(
    odoo_server, env, media_server
):
    demo = env.ref("crm_callcenter.crm_callcenter_provider_generic_demo")
    agent = env.ref("crm_callcenter.user_agent_linh_demo")
    provider = env["crm.callcenter.provider"].create(
        {
            "name": f"Recorded center {uuid.uuid4().hex[:6]}",
            "code": "generic",
            "default_country_id": demo.default_country_id.id,
            "webhook_secret": simulate_call.DEMO_SECRET,
            "extension_ids": [(0, 0, {"name": "101", "user_id": agent.id})],
            "recording_archive": True,
        }
    )
    env.cr.commit()
    try:
        url = f"{odoo_server}/callcenter/webhook/{provider.webhook_token}"
        call_id = f"e2e-rec-{uuid.uuid4().hex[:8]}"
        link = f"{media_server}/rec/{call_id}.mp3"
        start = datetime.now(timezone.utc) - timedelta(minutes=2)
        for event_type, offset, extra in (
            ("call.ringing", 0, {}),
            ("call.answered", 5, {}),
            ("call.ended", 65, {"recording_url": link}),
        ):
            msg_id, body = _event(
                event_type, call_id, start + timedelta(seconds=offset), **extra
            )
            assert _post_signed(url, msg_id, body) == 200
        env.cr.rollback()
        call = env["crm.callcenter.call"].search(
            [("provider_id", "=", provider.id), ("external_call_id", "=", call_id)]
        )
        assert call.recording_archive_state == "pending"
        assert not _Media.downloads, "nothing downloaded in the webhook request"

        # Its minute of delay over: the trigger the end left wakes the cron
        # worker (moved to now, as time would).
        call.recording_archive_next_at = datetime.now() - timedelta(seconds=1)
        env.ref("crm_callcenter.ir_cron_crm_callcenter_recording_archive")._trigger()
        env.cr.commit()
        deadline = time.monotonic() + 60
        while True:
            env.cr.rollback()
            env.invalidate_all()
            if call.recording_archive_state != "pending":
                break
            assert time.monotonic() < deadline, "the recording was not downloaded"
            time.sleep(0.3)
        assert call.recording_archive_state == "done", call.recording_archive_error
        assert call.recording_attachment_id.raw == AUDIO
        assert _Media.downloads == [f"/rec/{call_id}.mp3"]

        # The agent plays it from Odoo: the media server is not asked again.
        session = requests.Session()
        login = session.post(
            f"{odoo_server}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "params": {
                    "db": get_db_name(),
                    "login": agent.login,
                    "password": agent.login,  # demo data: password = login
                },
            },
            timeout=30,
        )
        assert login.json().get("result"), login.text
        whole = session.get(f"{odoo_server}/callcenter/call/{call.id}/recording")
        part = session.get(
            f"{odoo_server}/callcenter/call/{call.id}/recording",
            headers={"Range": "bytes=1000-1999"},
        )
        assert whole.status_code == 200
        assert whole.content == AUDIO
        assert part.status_code == 206
        assert part.content == AUDIO[1000:2000]
        assert len(_Media.downloads) == 1
    finally:
        env.cr.rollback()
        provider.active = False
        env.cr.commit()
