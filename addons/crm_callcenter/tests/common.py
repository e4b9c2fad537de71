"""Fixtures and a fake contact center speaking the generic signed format."""

import importlib.util
import itertools
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest.mock import patch
from urllib.parse import urlsplit

import requests

from odoo.addons.bus.models.bus import channel_with_db, json_dump
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

from ..tools import signature
from ..tools.providers import get_adapter

SECRET = "whsec_dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQtdGVzdC0xMjM0"
BASE_TIME = datetime(2026, 3, 2, 9, 0, 0)  # naive UTC, like Odoo stores it
_counter = itertools.count(1)


class FakeContactCenter:
    """Builds and signs generic webhook requests, like a real center would."""

    def __init__(self, secret=SECRET):
        self.secret = secret

    def event(self, event_type, call_id, *, at=None, msg_id=None, **data):
        at = at or BASE_TIME
        payload = {
            "type": event_type,
            "timestamp": at.replace(tzinfo=timezone.utc).isoformat(),
            "data": {
                "call_id": call_id,
                "direction": data.pop("direction", "inbound"),
                "from": data.pop("from_", "0903555111"),
                "to": data.pop("to", "+842838123456"),
                **data,
            },
        }
        msg_id = msg_id or f"msg_{call_id}_{event_type}_{next(_counter)}"
        return self.sign(json.dumps(payload).encode(), msg_id)

    def sign(self, body, msg_id, timestamp=None, secret=None):
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": signature.sign(
                secret or self.secret, msg_id, timestamp, body
            ),
        }
        return body, headers

    def answered_call(self, call_id, agent="101", from_="0903555111", start=None):
        """ringing → answered → ended of one inbound call, 12 s wait, 80 s talk."""
        start = start or BASE_TIME
        return [
            self.event("call.ringing", call_id, at=start, agent=agent, from_=from_),
            self.event(
                "call.answered",
                call_id,
                at=start + timedelta(seconds=12),
                agent=agent,
                from_=from_,
            ),
            self.event(
                "call.ended",
                call_id,
                at=start + timedelta(seconds=92),
                agent=agent,
                from_=from_,
                hangup_cause="NORMAL_CLEARING",
            ),
        ]


def load_migration(version, name="post-migrate"):
    """The module of one of the addon's migration scripts, to run by hand."""
    path = Path(__file__).parents[1] / f"migrations/{version}/{name}.py"
    spec = importlib.util.spec_from_file_location(f"cc_migrate_{version}", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def make_center(env, provider_vals, agent_a, agent_b, partner_vals):
    """A provider with two agents on extensions 101 and 102 and a known
    customer: ``(provider, agent_a, agent_b, partner)``. ``agent_a`` and
    ``agent_b`` are ``(login, name)``."""
    provider = env["crm.callcenter.provider"].create(provider_vals)
    agents = [
        new_test_user(
            env,
            login=login,
            name=name,
            groups="crm_callcenter.crm_callcenter_group_agent",
        )
        for login, name in (agent_a, agent_b)
    ]
    env["crm.callcenter.extension"].create(
        [
            {"name": extension, "provider_id": provider.id, "user_id": agent.id}
            for extension, agent in zip(("101", "102"), agents, strict=True)
        ]
    )
    partner = env["res.partner"].create(partner_vals)
    return provider, agents[0], agents[1], partner


class CallcenterCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vn = cls.env.ref("base.vn")
        cls.provider, cls.agent, cls.agent_b, cls.partner = make_center(
            cls.env,
            {
                "name": "Test Center",
                "code": "generic",
                "default_country_id": cls.vn.id,
                "webhook_secret": SECRET,
            },
            ("cc_agent_a", "Agent A"),
            ("cc_agent_b", "Agent B"),
            # A customer whose number is stored nationally, as a person types it.
            {
                "name": "Nguyễn Thị Test",
                "phone": "0903 555 111",
                "country_id": cls.vn.id,
            },
        )
        cls.manager = new_test_user(
            cls.env,
            login="cc_manager",
            name="Call Center Manager",
            groups="crm_callcenter.crm_callcenter_group_manager",
        )
        cls.center = FakeContactCenter()
        cls.adapter = get_adapter("generic")

    def feed(self, signed_events, provider=None):
        """Receive signed requests through the inbox, as the webhook does."""
        provider = provider or self.provider
        Event = self.env["crm.callcenter.event"]
        results = []
        for body, headers in signed_events:
            events = self.adapter.parse(body, headers)
            results.append(
                Event._receive(provider, headers["webhook-id"], body.decode(), events)
            )
        return results

    def run_missed_cron(self):
        """What the call-back cron does right after a missed call commits."""
        with patch.object(self.env.cr, "commit"):
            self.env["crm.callcenter.call"]._cron_register_missed()

    def get_call(self, call_id, provider=None):
        return self.env["crm.callcenter.call"].search(
            [
                ("provider_id", "=", (provider or self.provider).id),
                ("external_call_id", "=", call_id),
            ]
        )

    def assertCallLogged(self, call_id, **expected):
        calls = self.get_call(call_id)
        self.assertEqual(len(calls), 1, f"exactly one call {call_id} expected")
        for fname, value in expected.items():
            self.assertEqual(calls[fname], value, f"call.{fname}")
        return calls

    def bus_payloads(self, user, notification_type="crm_callcenter/call"):
        """Notifications the web client of ``user`` receives, oldest first."""
        self.env.cr.precommit.run()
        channel = json_dump(channel_with_db(self.env.cr.dbname, user.partner_id))
        messages = self.env["bus.bus"].sudo().search([("channel", "=", channel)])
        payloads = []
        for message in messages.sorted("id"):
            content = json.loads(message.message)
            if content["type"] == notification_type:
                payloads.append(content["payload"])
        return payloads


# Odoo's test cases refuse requests to other hosts before they reach the
# transport, where ``responses`` fakes the providers' APIs.
_REQUESTS_SEND = requests.Session.send
_ADAPTER_SEND = requests.adapters.HTTPAdapter.send


class FakedApiMixin:
    """Let requests to ``faked_api_hosts`` through to ``responses``, only
    while it is active (never to the real provider)."""

    faked_api_hosts = ()

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        faked = requests.adapters.HTTPAdapter.send is not _ADAPTER_SEND
        if faked and urlsplit(r.url).hostname in cls.faked_api_hosts:
            return _REQUESTS_SEND(s, r, **kw)
        return super()._request_handler(s, r, **kw)
