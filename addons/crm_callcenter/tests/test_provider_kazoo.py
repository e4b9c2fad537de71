"""Kazoo provider: webhooks posted through HTTP in Kazoo's wire formats,
Quickcall and Blackhole faked at the HTTP transport with ``responses``."""

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit

import requests
import responses
from responses import matchers

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import _super_send

from ..tools.providers import OriginateError, PayloadError, get_adapter
from ..tools.providers.kazoo import GREGORIAN_OFFSET, gregorian_to_datetime
from .common import CallcenterCase

API = "https://kazoo.example.com:8443"
ACCOUNT = "3f1e2d0c9b8a79685746352413021f0e"
OWNER_A = "1c2b3a49586776859403a2b1c0d9e8f7"
OWNER_B = "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
DEVICE_A = "9d8c7b6a5f4e3d2c1b0a99887766554f"
SHARED = "s3cr3t-shared-value"
API_KEY = "b1a9c2d8e3f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1"
CUSTOMER = "+79161234567"
DID = "+74951234567"
T0 = datetime(2026, 3, 2, 9, 0, 0)  # naive UTC


def gregorian(moment):
    return int(moment.replace(tzinfo=timezone.utc).timestamp()) + GREGORIAN_OFFSET


def form_encode(doc, prefix=None):
    """Kazoo's ``kz_http_util:json_to_querystring``: nested ``k[sub]=v``,
    lists ``k[]=v``, booleans ``true``/``false``."""
    parts = []
    for key, value in doc.items():
        name = f"{prefix}[{key}]" if prefix else key
        if isinstance(value, dict):
            parts.append(form_encode(value, name))
        elif isinstance(value, list):
            parts.extend(
                f"{quote(name + '[]')}={quote(str(v), safe='')}" for v in value
            )
        else:
            if isinstance(value, bool):
                value = "true" if value else "false"
            parts.append(f"{quote(name, safe='[]')}={quote(str(value), safe='')}")
    return "&".join(part for part in parts if part)


class FakeKazoo:
    """Builds channel webhooks as Kazoo's webhooks app sends them."""

    def __init__(self, token=SHARED, fmt="form"):
        self.token = token
        self.fmt = fmt

    def hook(self, event, call_id, at, fmt=None, token=None, **fields):
        doc = {
            "hook_event": event,
            "account_id": ACCOUNT,
            "call_id": call_id,
            "emergency_resource_used": False,
            "is_internal_leg": False,
            "timestamp": str(gregorian(at)),
            **fields,
        }
        token = self.token if token is None else token
        if token:
            doc["odoo_token"] = token  # the hook's custom_data
        if (fmt or self.fmt) == "json":
            body = json.dumps(doc, indent=2, ensure_ascii=False).encode()
            content_type = "application/json"
        else:
            body = form_encode(doc).encode()
            content_type = "application/x-www-form-urlencoded"
        return body, {
            "Content-Type": content_type,
            "X-Hook-ID": "0f9e8d7c6b5a49382716f5e4d3c2b1a0",
            "X-Account-ID": ACCOUNT,
        }

    # Legs of an inbound call: the carrier leg A, an agent's device leg B.
    def a_leg(self, event, call_id, at, **extra):
        fields = {
            "call_direction": "inbound",
            "caller_id_number": CUSTOMER,
            "caller_id_name": "Иван Петров",
            "callee_id_number": DID,
            "from": f"{CUSTOMER}@sip.carrier.example",
            "to": f"{DID}@acme.sip.example.com",
            "request": f"{DID}@acme.sip.example.com",
            "authorizing_type": "resource",
            "local_resource_used": False,
            "call_forwarded": False,
            **extra,
        }
        return self.hook(event, call_id, at, **fields)

    def b_leg(self, event, call_id, a_id, at, owner=OWNER_A, ext="101", **extra):
        fields = {
            "call_direction": "outbound",
            "other_leg_call_id": a_id,
            "caller_id_number": CUSTOMER,
            "caller_id_name": "Иван Петров",
            "callee_id_number": ext,
            "authorizing_type": "device",
            "authorizing_id": DEVICE_A,
            "owner_id": owner,
            "request": f"user_{ext}@acme.sip.example.com",
            "local_resource_used": True,
            **extra,
        }
        return self.hook(event, call_id, at, **fields)

    @staticmethod
    def destroy(cause, duration, billsec, ringing=0):
        return {
            "hangup_cause": cause,
            "hangup_code": "sip:200" if cause == "NORMAL_CLEARING" else "sip:487",
            "duration_seconds": duration,
            "billing_seconds": billsec,
            "ringing_seconds": ringing,
        }


@tagged("post_install", "-at_install")
class TestProviderKazoo(HttpCase, CallcenterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ru = cls.env.ref("base.ru")
        cls.kazoo = cls.env["crm.callcenter.provider"].create(
            {
                "name": "Kazoo",
                "code": "kazoo",
                "default_country_id": cls.ru.id,
                "kazoo_api_url": API + "/v2/",
                "kazoo_account_id": ACCOUNT,
                "kazoo_api_key": API_KEY,
                "kazoo_custom_data": SHARED,
                "request_timeout": 5,
            }
        )
        cls.env["crm.callcenter.extension"].create(
            [
                {"name": OWNER_A, "provider_id": cls.kazoo.id, "user_id": cls.agent.id},
                {
                    "name": OWNER_B,
                    "provider_id": cls.kazoo.id,
                    "user_id": cls.agent_b.id,
                },
            ]
        )
        cls.ivan = cls.env["res.partner"].create(
            {
                "name": "Иван Петров",
                "phone": "8 (916) 123-45-67",
                "country_id": cls.ru.id,
            }
        )
        cls.fake = FakeKazoo()
        cls.kazoo_adapter = get_adapter("kazoo")

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Requests to the fake Kazoo reach the transport, where `responses`
        # answers them (and refuses any URL it was not given).
        if urlsplit(r.url).hostname == "kazoo.example.com":
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    # -- helpers -------------------------------------------------------------

    def post(self, request, token=None):
        body, headers = request
        return self.url_open(
            f"/callcenter/webhook/{token or self.kazoo.webhook_token}",
            data=body,
            headers=headers,
            timeout=30,
        )

    def post_all(self, requests_):
        for request in requests_:
            response = self.post(request)
            # Kazoo treats anything but 200 (even 201/204) as a failure.
            self.assertEqual(response.status_code, 200, response.text)

    def kazoo_call(self, call_id):
        calls = self.env["crm.callcenter.call"].search(
            [("provider_id", "=", self.kazoo.id), ("external_call_id", "=", call_id)]
        )
        self.assertEqual(len(calls), 1, f"one call {call_id} expected")
        return calls

    def counts(self):
        domain = [("provider_id", "=", self.kazoo.id)]
        return (
            self.env["crm.callcenter.event"].search_count(domain),
            self.env["crm.callcenter.call"].search_count(domain),
        )

    def answered_inbound(self, a_id, b_id, fmt="form"):
        fake = FakeKazoo(fmt=fmt)
        return [
            fake.a_leg("channel_create", a_id, T0),
            fake.b_leg("channel_create", b_id, a_id, T0 + timedelta(seconds=2)),
            fake.b_leg("channel_answer", b_id, a_id, T0 + timedelta(seconds=9)),
            fake.a_leg("channel_answer", a_id, T0 + timedelta(seconds=9)),
            fake.b_leg(
                "channel_destroy",
                b_id,
                a_id,
                T0 + timedelta(seconds=74),
                **FakeKazoo.destroy("NORMAL_CLEARING", 72, 65, 7),
            ),
            fake.a_leg(
                "channel_destroy",
                a_id,
                T0 + timedelta(seconds=75),
                other_leg_call_id=b_id,
                **FakeKazoo.destroy("NORMAL_CLEARING", 75, 66),
            ),
        ]

    # -- vectors and formats -------------------------------------------------

    def test_gregorian_vector(self):
        # PROTOCOLS.md §11 vector 12.
        self.assertEqual(
            gregorian_to_datetime("63884942703"), datetime(2024, 6, 7, 1, 25, 3)
        )
        self.assertEqual(
            gregorian_to_datetime(63884942703), datetime(2024, 6, 7, 1, 25, 3)
        )
        with self.assertRaises(PayloadError):
            gregorian_to_datetime("1717723503")  # Unix, not Gregorian

    def test_inbound_answered_form_data(self):
        self.post_all(self.answered_inbound("a-form-1", "b-form-1"))
        call = self.kazoo_call("a-form-1")
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "inbound",
                    "state": "ended",
                    "outcome": "answered",
                    "from_number": CUSTOMER,
                    "to_number": DID,
                    "did": DID,
                    "caller_name": "Иван Петров",
                    "user_id": self.agent.id,
                    "extension": OWNER_A,
                    "partner_id": self.ivan.id,
                    "started_at": T0,
                    "answered_at": T0 + timedelta(seconds=9),
                    "ended_at": T0 + timedelta(seconds=75),
                    "duration": 75,
                    # The agent talked from their answer to the end, not the
                    # customer leg's 66 billed seconds.
                    "billsec": 66,
                    "hangup_cause": "NORMAL_CLEARING",
                    "is_missed": False,
                }
            ],
        )
        self.assertEqual(len(call.event_ids), 6)

    def test_inbound_answered_json(self):
        self.post_all(self.answered_inbound("a-json-1", "b-json-1", fmt="json"))
        call = self.kazoo_call("a-json-1")
        self.assertEqual(call.outcome, "answered")
        self.assertEqual(call.user_id, self.agent)
        self.assertEqual(call.caller_name, "Иван Петров")
        self.assertEqual(call.answered_at, T0 + timedelta(seconds=9))

    def test_missed_while_ringing(self):
        fake = self.fake
        self.post_all(
            [
                fake.a_leg("channel_create", "a-miss", T0),
                fake.b_leg("channel_create", "b-miss", "a-miss", T0),
                fake.b_leg(
                    "channel_destroy",
                    "b-miss",
                    "a-miss",
                    T0 + timedelta(seconds=20),
                    **FakeKazoo.destroy("ORIGINATOR_CANCEL", 20, 0, 20),
                ),
                fake.a_leg(
                    "channel_destroy",
                    "a-miss",
                    T0 + timedelta(seconds=20),
                    **FakeKazoo.destroy("ORIGINATOR_CANCEL", 20, 0, 20),
                ),
            ]
        )
        call = self.kazoo_call("a-miss")
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "cancelled",
                    "is_missed": True,
                    "is_abandoned": True,
                    "billsec": 0,
                    "answered_at": False,
                    # The agent whose phone rang.
                    "user_id": self.agent.id,
                }
            ],
        )

    def test_answered_by_ivr_but_missed(self):
        fake = self.fake
        self.post_all(
            [
                fake.a_leg("channel_create", "a-ivr", T0),
                # The callflow's IVR answers the customer leg...
                fake.a_leg("channel_answer", "a-ivr", T0 + timedelta(seconds=1)),
                # ...the queue rings an agent who never answers...
                fake.b_leg(
                    "channel_create", "b-ivr", "a-ivr", T0 + timedelta(seconds=15)
                ),
                fake.b_leg(
                    "channel_destroy",
                    "b-ivr",
                    "a-ivr",
                    T0 + timedelta(seconds=45),
                    **FakeKazoo.destroy("NO_ANSWER", 30, 0, 30),
                ),
                # ...and the customer leg was billed 44 s of IVR and queue.
                fake.a_leg(
                    "channel_destroy",
                    "a-ivr",
                    T0 + timedelta(seconds=45),
                    **FakeKazoo.destroy("NORMAL_CLEARING", 45, 44),
                ),
            ]
        )
        call = self.kazoo_call("a-ivr")
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    "billsec": 0,
                    "answered_at": False,
                    "duration": 45,
                }
            ],
        )

    def test_blind_transfer_to_another_agent(self):
        fake = self.fake
        self.post_all(
            [
                fake.a_leg("channel_create", "a-xfer", T0),
                fake.b_leg("channel_create", "b1-xfer", "a-xfer", T0),
                fake.b_leg(
                    "channel_answer", "b1-xfer", "a-xfer", T0 + timedelta(seconds=5)
                ),
                # Agent A transfers: Kazoo bridges the customer to B's phone.
                fake.b_leg(
                    "channel_create",
                    "b2-xfer",
                    "a-xfer",
                    T0 + timedelta(seconds=60),
                    owner=OWNER_B,
                    ext="102",
                ),
                fake.b_leg(
                    "channel_destroy",
                    "b1-xfer",
                    "a-xfer",
                    T0 + timedelta(seconds=61),
                    **FakeKazoo.destroy("NORMAL_CLEARING", 61, 56),
                ),
                fake.b_leg(
                    "channel_answer",
                    "b2-xfer",
                    "a-xfer",
                    T0 + timedelta(seconds=66),
                    owner=OWNER_B,
                    ext="102",
                ),
                fake.b_leg(
                    "channel_destroy",
                    "b2-xfer",
                    "a-xfer",
                    T0 + timedelta(seconds=120),
                    owner=OWNER_B,
                    ext="102",
                    **FakeKazoo.destroy("NORMAL_CLEARING", 60, 54),
                ),
                fake.a_leg(
                    "channel_destroy",
                    "a-xfer",
                    T0 + timedelta(seconds=120),
                    **FakeKazoo.destroy("NORMAL_CLEARING", 120, 115),
                ),
            ]
        )
        call = self.kazoo_call("a-xfer")
        self.assertRecordValues(
            call,
            [
                {
                    "outcome": "answered",
                    "user_id": self.agent_b.id,
                    "extension": OWNER_B,
                    "answered_at": T0 + timedelta(seconds=5),
                    # Both agents' talk time, not only the last leg's 54 s.
                    "billsec": 115,
                }
            ],
        )

    def test_recording_after_the_end(self):
        self.post_all(self.answered_inbound("a-rec", "b-rec"))
        call = self.kazoo_call("a-rec")
        self.assertFalse(call.recording_id)
        # A late event of the agent's leg names the recording Kazoo stored.
        self.post_all(
            [
                self.fake.b_leg(
                    "channel_bridge",
                    "b-rec",
                    "a-rec",
                    T0 + timedelta(seconds=9),
                ),
                self.fake.hook(
                    "channel_destroy",
                    "b-rec-2",
                    T0 + timedelta(seconds=80),
                    call_direction="outbound",
                    other_leg_call_id="a-rec",
                    owner_id=OWNER_A,
                    authorizing_type="device",
                    custom_channel_vars={
                        "Media-Recording-ID": "202603-6a3bf3e1d2c4a5b6",
                        "Recording-URL": "https://rec.example.com/a-rec.mp3",
                    },
                    **FakeKazoo.destroy("NORMAL_CLEARING", 3, 0),
                ),
            ]
        )
        call.invalidate_recordset()
        self.assertEqual(call.recording_id, "202603-6a3bf3e1d2c4a5b6")
        self.assertEqual(call.recording_url, "https://rec.example.com/a-rec.mp3")
        self.assertEqual(call.state, "ended")
        self.assertEqual(call.outcome, "answered")

    def test_retries_and_reordering(self):
        sequence = self.answered_inbound("a-dup", "b-dup")
        # Out of order: the end first, the agent's answer before the start.
        shuffled = [sequence[5], sequence[2], sequence[0], sequence[4]]
        shuffled += [sequence[1], sequence[3]]
        self.post_all(shuffled)
        before = self.counts()
        # Kazoo retries: the very same bodies again.
        self.post_all(sequence)
        self.assertEqual(self.counts(), before)
        call = self.kazoo_call("a-dup")
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "inbound",
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "started_at": T0,
                    "answered_at": T0 + timedelta(seconds=9),
                    "billsec": 66,
                }
            ],
        )
        self.assertEqual(len(call.event_ids), 6)

    def test_agent_leg_first_still_inbound(self):
        # The B-leg's create reaches Odoo before the customer leg's.
        fake = self.fake
        self.post_all([fake.b_leg("channel_create", "b-first", "a-first", T0)])
        call = self.kazoo_call("a-first")
        self.assertEqual(call.direction, "inbound")
        self.assertEqual(call.from_number, CUSTOMER)
        self.assertFalse(call.to_number, "the agent's extension is not the DID")
        self.post_all([fake.a_leg("channel_create", "a-first", T0)])
        call.invalidate_recordset()
        self.assertEqual(call.to_number, DID)

    def test_shared_value_is_required(self):
        before = self.counts()
        wrong = FakeKazoo(token="not-the-value").a_leg("channel_create", "a-bad", T0)
        missing = FakeKazoo(token="").a_leg("channel_create", "a-bad", T0)
        for request in (wrong, missing):
            response = self.post(request)
            self.assertEqual(response.status_code, 401, response.text)
        response = self.post(self.fake.a_leg("channel_create", "a-bad", T0), "nope")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.counts(), before, "a refused webhook stores nothing")
        self.kazoo.invalidate_recordset(["rejected_count"])
        self.assertEqual(self.kazoo.rejected_count, 2)
        # Without a shared value configured, the URL token alone suffices.
        self.kazoo.kazoo_custom_data = False
        self.assertEqual(self.post(missing).status_code, 200)
        self.kazoo_call("a-bad")

    def test_charset_cyrillic_and_url_encoding(self):
        name = "Ольга Смирнова-Щукина"
        for fmt, call_id in (("form", "a-cyr-form"), ("json", "a-cyr-json")):
            request = FakeKazoo(fmt=fmt).a_leg(
                "channel_create", call_id, T0, caller_id_name=name
            )
            if fmt == "form":
                # UTF-8 percent-encoded, "+" of the number as %2B.
                self.assertIn(b"%D0%9E%D0%BB%D1%8C%D0%B3%D0%B0", request[0])
                self.assertIn(b"caller_id_number=%2B7916", request[0])
            self.post_all([request])
            call = self.kazoo_call(call_id)
            self.assertEqual(call.caller_name, name)
            self.assertEqual(call.from_number, CUSTOMER)
        # JSON with \u escapes (what a non-UTF-8 encoder sends).
        body = json.dumps(
            {
                "hook_event": "channel_create",
                "call_id": "a-cyr-esc",
                "call_direction": "inbound",
                "caller_id_number": CUSTOMER,
                "caller_id_name": name,
                "request": f"{DID}@acme.sip.example.com",
                "timestamp": gregorian(T0),
                "odoo_token": SHARED,
            }
        ).encode()
        self.assertIn(b"\\u041e", body)
        self.post_all([(body, {"Content-Type": "application/json"})])
        self.assertEqual(self.kazoo_call("a-cyr-esc").caller_name, name)

    def test_unused_hooks_and_test_event_create_no_call(self):
        before_calls = self.counts()[1]
        object_hook = json.dumps(
            {
                "id": "c4c0ad092e57bc1d28e69bbd20dad932",
                "account_id": ACCOUNT,
                "action": "doc_created",
                "type": "call_recording",
                "odoo_token": SHARED,
            }
        ).encode()
        self.post_all([(object_hook, {"Content-Type": "application/json"})])
        config = self.kazoo._get_adapter_config()
        url = f"{self.base_url()}/callcenter/webhook/{self.kazoo.webhook_token}"
        body, headers = self.kazoo_adapter.sample_request(config, url, 1772442000)
        response = self.url_open(url, data=body, headers=headers, timeout=30)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.counts()[1], before_calls)
        # The test event authenticates like a real one: a wrong value fails.
        self.kazoo.kazoo_custom_data = "changed"
        response = self.url_open(url, data=body, headers=headers, timeout=30)
        self.assertEqual(response.status_code, 401)

    # -- click-to-call (Quickcall) ---------------------------------------------

    def mock_auth(self, rsps, status=201):
        # Odoo itself (webhook posts) is not faked.
        rsps.add_passthru(self.base_url())
        return rsps.add(
            responses.PUT,
            f"{API}/v2/api_auth",
            json={"auth_token": "tok-123", "status": "success", "data": {}}
            if status < 300
            else {"error": str(status), "message": "invalid credentials"},
            status=status,
        )

    def quickcall_url(self, endpoint, target, number=CUSTOMER):
        return (
            f"{API}/v2/accounts/{ACCOUNT}/{endpoint}/{target}/quickcall/"
            f"{quote(number, safe='')}"
        )

    def quickcall_reply(self, *call_ids):
        return {
            "auth_token": "tok-123",
            "data": {
                "application_name": "transfer",
                "application_data": {"route": CUSTOMER},
                "endpoints": [
                    {"outbound_call_id": call_id, "endpoint_id": DEVICE_A}
                    for call_id in call_ids
                ],
            },
            "status": "success",
            "revision": "undefined",
        }

    def click_to_call_row(self, result, correlation):
        """The row the click creates before the provider names the call."""
        return self.env["crm.callcenter.call"].create(
            {
                "provider_id": self.kazoo.id,
                "company_id": self.kazoo.company_id.id,
                "external_call_id": result.external_call_id or f"odoo-{correlation}",
                "correlation_id": correlation,
                "direction": "outbound",
                "state": "ringing",
                "to_number": CUSTOMER,
                "user_id": self.agent.id,
            }
        )

    def quickcall_legs(self, device_leg, carrier_leg, correlation, fmt="json"):
        fake = FakeKazoo(fmt=fmt)
        device = {
            "call_direction": "outbound",
            "caller_id_name": "QuickCall",
            "caller_id_number": CUSTOMER,
            "request": f"{CUSTOMER}@acme.sip.example.com",
            "authorizing_type": "user",
            "authorizing_id": OWNER_A,
            "owner_id": OWNER_A,
            "custom_application_vars": {"odoo_correlation_id": correlation},
        }
        carrier = {
            "call_direction": "outbound",
            "other_leg_call_id": device_leg,
            "caller_id_number": DID,
            "callee_id_number": CUSTOMER,
            "request": f"{CUSTOMER}@carrier.example",
            "local_resource_used": False,
        }
        return [
            fake.hook("channel_create", device_leg, T0, **device),
            fake.hook(
                "channel_answer", device_leg, T0 + timedelta(seconds=3), **device
            ),
            fake.hook(
                "channel_create", carrier_leg, T0 + timedelta(seconds=4), **carrier
            ),
            fake.hook(
                "channel_answer", carrier_leg, T0 + timedelta(seconds=12), **carrier
            ),
            fake.hook(
                "channel_destroy",
                carrier_leg,
                T0 + timedelta(seconds=100),
                **carrier,
                **FakeKazoo.destroy("NORMAL_CLEARING", 96, 88),
            ),
            fake.hook(
                "channel_destroy",
                device_leg,
                T0 + timedelta(seconds=100),
                **device,
                **FakeKazoo.destroy("NORMAL_CLEARING", 100, 97),
            ),
        ]

    @responses.activate
    def test_click_to_call_outbound_sequence(self):
        self.mock_auth(responses)
        leg = "8f2c4a1b0e9d8c7b6a5f4e3d2c1b0a9f8e7d-quickcall"
        quickcall = responses.add(
            responses.POST,
            self.quickcall_url("users", OWNER_A),
            json=self.quickcall_reply(leg),
            status=202,
        )
        config = self.kazoo._get_adapter_config()
        result = self.kazoo_adapter.originate(config, OWNER_A, CUSTOMER, "corr-1")
        self.assertEqual(result.external_call_id, leg)
        self.assertEqual(result.correlation_id, "corr-1")
        auth = responses.calls[0].request
        self.assertEqual(json.loads(auth.body), {"data": {"api_key": API_KEY}})
        sent = quickcall.calls[0].request
        self.assertEqual(sent.headers["X-Auth-Token"], "tok-123")
        self.assertIn("auto_answer=false", sent.url)
        self.assertEqual(
            json.loads(sent.body),
            {"data": {"custom_application_vars": {"odoo_correlation_id": "corr-1"}}},
        )
        row = self.click_to_call_row(result, "corr-1")
        self.post_all(self.quickcall_legs(leg, "carrier-1", "corr-1"))
        call = self.kazoo_call(leg)
        self.assertEqual(call, row)
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "outbound",
                    "state": "ended",
                    "outcome": "answered",
                    "to_number": CUSTOMER,
                    "customer_number": CUSTOMER,
                    "partner_id": self.ivan.id,
                    "user_id": self.agent.id,
                    # The customer answered 12 s in; the agent's own pick-up
                    # at 3 s is not the call's answer.
                    "answered_at": T0 + timedelta(seconds=12),
                    "billsec": 88,
                    "duration": 100,
                }
            ],
        )

    @responses.activate
    def test_click_to_call_several_devices_by_correlation(self):
        self.mock_auth(responses)
        desk, soft = "aa11-quickcall", "bb22-quickcall"
        responses.add(
            responses.POST,
            self.quickcall_url("users", OWNER_A),
            json=self.quickcall_reply(desk, soft),
            status=202,
        )
        config = self.kazoo._get_adapter_config()
        result = self.kazoo_adapter.originate(config, OWNER_A, CUSTOMER, "corr-2")
        self.assertIsNone(result.external_call_id)
        row = self.click_to_call_row(result, "corr-2")
        fake = FakeKazoo(fmt="form")
        soft_leg = {
            "call_direction": "outbound",
            "caller_id_number": CUSTOMER,
            "request": f"{CUSTOMER}@acme.sip.example.com",
            "owner_id": OWNER_A,
            "authorizing_type": "user",
            "custom_application_vars": {"odoo_correlation_id": "corr-2"},
        }
        legs = self.quickcall_legs(desk, "carrier-2", "corr-2", fmt="form")
        self.post_all(
            [
                fake.hook("channel_create", soft, T0, **soft_leg),
                legs[0],
                legs[1],
                # The softphone loses the race when the desk phone answers.
                fake.hook(
                    "channel_destroy",
                    soft,
                    T0 + timedelta(seconds=3),
                    **soft_leg,
                    **FakeKazoo.destroy("LOSE_RACE", 3, 0),
                ),
                *legs[2:],
            ]
        )
        calls = self.env["crm.callcenter.call"].search(
            [("provider_id", "=", self.kazoo.id), ("correlation_id", "=", "corr-2")]
        )
        self.assertEqual(calls, row)
        self.assertEqual(self.counts()[1], 1, "no call row per device")
        self.assertRecordValues(
            row,
            [{"external_call_id": desk, "state": "ended", "outcome": "answered"}],
        )

    @responses.activate
    def test_click_to_call_errors(self):
        config = self.kazoo._get_adapter_config()
        # Refused API key.
        self.mock_auth(responses, status=401)
        with self.assertRaises(OriginateError) as caught:
            self.kazoo_adapter.originate(config, OWNER_A, CUSTOMER, "c")
        self.assertIn("API key", str(caught.exception))
        self.assertNotIn(API_KEY, str(caught.exception))
        responses.reset()
        # Quickcall failure (blocking POST).
        self.mock_auth(responses)
        responses.add(
            responses.POST,
            self.quickcall_url("users", OWNER_A),
            json={
                "data": {"error_message": "DESTINATION_OUT_OF_ORDER"},
                "error": "500",
                "message": "quickcall initiation failed",
                "status": "error",
            },
            status=500,
        )
        with self.assertRaises(OriginateError) as caught:
            self.kazoo_adapter.originate(config, OWNER_A, CUSTOMER, "c")
        self.assertIn("DESTINATION_OUT_OF_ORDER", str(caught.exception))
        responses.reset()
        # Timeout.
        self.mock_auth(responses)
        responses.add(
            responses.POST,
            self.quickcall_url("users", OWNER_A),
            body=requests.exceptions.ReadTimeout("slow"),
        )
        with self.assertRaises(OriginateError) as caught:
            self.kazoo_adapter.originate(config, OWNER_A, CUSTOMER, "c")
        self.assertIn("5 seconds", str(caught.exception))
        responses.reset()
        # Not configured.
        with self.assertRaises(OriginateError):
            self.kazoo_adapter.originate(
                {**config, "kazoo_api_key": False}, OWNER_A, CUSTOMER, "c"
            )
        self.assertEqual(len(responses.calls), 0)

    @responses.activate
    def test_click_to_call_unowned_device(self):
        self.mock_auth(responses)
        responses.add(
            responses.POST,
            self.quickcall_url("users", DEVICE_A),
            json={"error": "404", "message": "bad identifier", "status": "error"},
            status=404,
        )
        responses.add(
            responses.POST,
            self.quickcall_url("devices", DEVICE_A),
            json=self.quickcall_reply("cc33-quickcall"),
            status=202,
        )
        result = self.kazoo_adapter.originate(
            self.kazoo._get_adapter_config(), DEVICE_A, CUSTOMER, "corr-3"
        )
        self.assertEqual(result.external_call_id, "cc33-quickcall")

    # -- Blackhole websocket ---------------------------------------------------

    def blackhole_event(self, name, call_id, at, **data):
        return json.dumps(
            {
                "action": "event",
                "subscribed_key": f"call.{ACCOUNT}.{name}.*",
                "subscription_key": f"call.{name}.*",
                "name": name,
                "routing_key": f"call.{ACCOUNT}.{name}.{call_id}",
                "data": {
                    "Event-Category": "call_event",
                    "Event-Name": name,
                    "Call-ID": call_id,
                    "Timestamp": gregorian(at),
                    "Msg-ID": "1715670977123456",
                    "Node": "ecallmgr@fs1.example.com",
                    "App-Name": "ecallmgr",
                    "App-Version": "4.3.0",
                    **data,
                },
            }
        )

    @responses.activate
    def test_blackhole_reconnection_asks_for_the_legs_up(self):
        """What the listener asks after each Blackhole (re)connection: the
        legs up, every page of them (a missing page would close calls)."""
        self.kazoo.write(
            {
                "kazoo_blackhole_enabled": True,
                "kazoo_blackhole_url": "wss://kazoo.example.com:5555",
            }
        )
        adapter = self.kazoo._get_adapter()
        config = self.kazoo._get_adapter_config()
        self.mock_auth(responses)
        url = f"{API}/v2/accounts/{ACCOUNT}/channels"
        first = responses.add(
            responses.GET,
            url,
            match=[matchers.query_param_matcher({})],
            json={
                "auth_token": "tok-123",
                "data": [
                    {
                        "answered": True,
                        "authorizing_type": "device",
                        "direction": "outbound",
                        "other_leg": "inbound-leg-1",
                        "uuid": "agent-leg-1",
                        "timestamp": 63884942777,
                    },
                    {
                        "answered": False,
                        "direction": "inbound",
                        "uuid": "inbound-leg-2",
                    },
                ],
                "next_start_key": "page-2",
                "status": "success",
            },
        )
        responses.add(
            responses.GET,
            url,
            match=[matchers.query_param_matcher({"start_key": "page-2"})],
            json={"data": [{"uuid": "inbound-leg-3"}], "status": "success"},
        )
        self.assertEqual(
            adapter.ws_live_call_ids(config),
            {"agent-leg-1", "inbound-leg-1", "inbound-leg-2", "inbound-leg-3"},
        )
        self.assertEqual(first.calls[0].request.headers["X-Auth-Token"], "tok-123")

        for status, body, error in (
            (500, {"message": "boom"}, ConnectionError),
            (200, {"data": {"uuid": "x"}}, ValueError),
            (200, {"data": [{"other_leg": "x"}]}, ValueError),
        ):
            responses.reset()
            self.mock_auth(responses)
            responses.add(responses.GET, url, json=body, status=status)
            with self.subTest(body=body), self.assertRaises(error):
                adapter.ws_live_call_ids(config)

    @responses.activate
    def test_blackhole_subscribe_and_parse(self):
        self.kazoo.write(
            {
                "kazoo_blackhole_enabled": True,
                "kazoo_blackhole_url": "wss://kazoo.example.com:5555",
            }
        )
        adapter = self.kazoo._get_adapter()
        self.assertTrue(adapter.websocket)
        config = self.kazoo._get_adapter_config()
        self.assertEqual(adapter.ws_url(config), "wss://kazoo.example.com:5555")
        auth = self.mock_auth(responses)
        first = json.loads(adapter.ws_subscribe(config)[0])
        self.assertEqual(first["action"], "subscribe")
        self.assertEqual(first["auth_token"], "tok-123")
        self.assertEqual(first["data"]["account_id"], ACCOUNT)
        self.assertEqual(
            first["data"]["bindings"],
            [
                "call.CHANNEL_CREATE.*",
                "call.CHANNEL_ANSWER.*",
                "call.CHANNEL_DESTROY.*",
            ],
        )
        # After a reconnection the listener subscribes again, with a new token.
        second = json.loads(adapter.ws_subscribe(config)[0])
        self.assertEqual(auth.call_count, 2)
        self.assertNotEqual(first["request_id"], second["request_id"])

        reply = {
            "action": "reply",
            "request_id": first["request_id"],
            "status": "success",
            "data": {"subscribed": ["call.CHANNEL_CREATE.*"], "subscriptions": []},
        }
        self.assertEqual(adapter.ws_parse(json.dumps(reply)), (None, []))
        refused = {
            "action": "reply",
            "request_id": "x",
            "status": "error",
            "data": {"message": "invalid auth token"},
        }
        with self.assertRaises(PayloadError):
            adapter.ws_parse(json.dumps(refused))
        with self.assertRaises(PayloadError):
            adapter.ws_parse("not json")

        a_id = "MmU4NGIxYzY0ZGJmZjM2NjA2YTQ1ZDYwYjQyZjZiMzA"
        b_id = "b8f1c5c0-3a4d-4c1e-9f3e-0c2b7d9a1e55"
        carrier = {
            "Call-Direction": "inbound",
            "Caller-ID-Name": "Иван Петров",
            "Caller-ID-Number": CUSTOMER,
            "Callee-ID-Number": DID,
            "Request": f"{DID}@acme.sip.example.com",
            "Custom-Channel-Vars": {
                "Account-ID": ACCOUNT,
                "Authorizing-Type": "resource",
                "Global-Resource": "true",
            },
        }
        agent = {
            "Call-Direction": "outbound",
            "Other-Leg-Call-ID": a_id,
            "Caller-ID-Number": CUSTOMER,
            "Callee-ID-Number": "101",
            "Custom-Channel-Vars": {
                "Account-ID": ACCOUNT,
                "Authorizing-Type": "device",
                "Authorizing-ID": DEVICE_A,
                "Owner-ID": OWNER_A,
            },
        }
        messages = [
            self.blackhole_event("CHANNEL_CREATE", a_id, T0, **carrier),
            self.blackhole_event("CHANNEL_CREATE", b_id, T0, **agent),
            self.blackhole_event(
                "CHANNEL_ANSWER", b_id, T0 + timedelta(seconds=10), **agent
            ),
            self.blackhole_event(
                "CHANNEL_BRIDGE", b_id, T0 + timedelta(seconds=10), **agent
            ),
            self.blackhole_event(
                "CHANNEL_DESTROY",
                a_id,
                T0 + timedelta(seconds=80),
                **carrier,
                **{
                    "Other-Leg-Call-ID": b_id,
                    "Disposition": "ANSWER",
                    "Hangup-Cause": "NORMAL_CLEARING",
                    "Hangup-Code": "sip:200",
                    "Duration-Seconds": "80",
                    "Billing-Seconds": "70",
                    "Ringing-Seconds": "10",
                },
            ),
        ]
        Event = self.env["crm.callcenter.event"]
        keys = []
        for message in messages:
            key, events = adapter.ws_parse(message)
            if key is None:
                self.assertEqual(events, [])
                continue
            keys.append(key)
            Event._receive(self.kazoo, key, message, events)
        self.assertEqual(
            keys,
            [
                f"{a_id}:channel_create",
                f"{b_id}:channel_create",
                f"{b_id}:channel_answer",
                f"{a_id}:channel_destroy",
            ],
        )
        call = self.kazoo_call(a_id)
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "inbound",
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "partner_id": self.ivan.id,
                    "caller_name": "Иван Петров",
                    "answered_at": T0 + timedelta(seconds=10),
                    "duration": 80,
                    "billsec": 70,
                }
            ],
        )
        # The same event delivered by a webhook as well changes nothing.
        before = self.counts()
        self.post_all(
            [
                self.fake.a_leg(
                    "channel_destroy",
                    a_id,
                    T0 + timedelta(seconds=80),
                    **FakeKazoo.destroy("NORMAL_CLEARING", 80, 70),
                )
            ]
        )
        self.assertEqual(self.counts(), before)

    def test_blackhole_off_by_default(self):
        adapter = self.kazoo._get_adapter()
        self.assertFalse(adapter.websocket)
        with self.assertRaises(ValueError):
            adapter.ws_url(self.kazoo._get_adapter_config())

    def test_secrets_are_for_administrators(self):
        manager = new_test_user(
            self.env,
            login="cc_kazoo_manager",
            groups="crm_callcenter.crm_callcenter_group_manager",
        )
        provider = self.kazoo.with_user(manager)
        self.assertEqual(provider.kazoo_account_id, ACCOUNT)
        for fname in ("kazoo_api_key", "kazoo_custom_data", "kazoo_webhook_setup"):
            with self.subTest(field=fname), self.assertRaises(AccessError):
                provider.read([fname])
        setup = self.kazoo.kazoo_webhook_setup
        for hook in ("channel_create", "channel_answer", "channel_destroy"):
            self.assertIn(f'"hook": "{hook}"', setup)
        self.assertIn(self.kazoo.webhook_url, setup)
        self.assertIn(f'"odoo_token": "{SHARED}"', setup)
