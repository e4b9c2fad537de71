"""Zadarma: PBX notifications posted through real HTTP, signed as Zadarma
signs them, and the call-back API faked at the transport (``responses``)."""

import base64
import hashlib
import hmac
import itertools
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytz
import requests
import responses
from freezegun import freeze_time

from odoo.tests import HttpCase, tagged
from odoo.tests.common import BaseCase, _super_send

from ..tools.providers import OriginateError, get_adapter
from ..tools.providers.zadarma import api_signature, sign
from ..tools.signature import SignatureError
from .common import BASE_TIME, CallcenterCase

KEY = "test_key"
SECRET = "test_secret_key"
MOSCOW = pytz.timezone("Europe/Moscow")
CUSTOMER = "79161234567"
CUSTOMER_E164 = "+79161234567"
DID = "74951234567"
CALLBACK_URL = "https://api.zadarma.com/v1/request/callback/"
SIGNED = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_IVR": ("caller_id", "called_did", "call_start"),
    "NOTIFY_INTERNAL": ("caller_id", "called_did", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}
_ids = itertools.count(1)


def zadarma_signature(fields, secret=SECRET):
    """Zadarma's algorithm, written here independently of the adapter:
    base64 of the hex HMAC-SHA1 of the event's signed values."""
    text = "".join(fields.get(name, "") for name in SIGNED[fields["event"]])
    hexdigest = hmac.new(secret.encode(), text.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(hexdigest.encode()).decode()


def moscow(moment):
    """A naive UTC time as Zadarma writes it for a Moscow account."""
    return pytz.utc.localize(moment).astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M:%S")


class TestZadarmaVectors(BaseCase):
    """PROTOCOLS.md §11, vectors 4 to 7, and the §6.2 example."""

    def test_notification_vectors(self):
        cases = {
            "4 start/end": (
                "79161234567" + "74951234567" + "2024-05-14 10:15:03",
                "YTFjMzQzYjM0YmRlNmMwZGEyNTI1YTUzNWUzMWUzNjJjNzQ0MmQ4MA==",
            ),
            "5 out": (
                "101" + "79161234567" + "2024-05-14 11:00:00",
                "MzcyMTE1ZDQ2ZTFjZjA1NWFhNmQ4ZDZkMTRmMDMyMGI1NmE2NzZiNQ==",
            ),
            "6 record": (
                "in_0f1e2d3c4b5a69788796a5b4c3d2e1f0" + "1715670903.1234567",
                "M2M1YzE4NGMyOTlhYTgwYjk2MTZkZjA4ZWU2ZWM2Y2I0MjRjZmY5NA==",
            ),
        }
        for name, (text, expected) in cases.items():
            with self.subTest(vector=name):
                self.assertEqual(sign(SECRET, text), expected)

    def test_rest_auth_vector_7(self):
        query, signature = api_signature(
            SECRET,
            "/v1/request/callback/",
            {"from": "101", "to": "79161234567", "format": "json"},
        )
        self.assertEqual(query, "format=json&from=101&to=79161234567")
        self.assertEqual(
            signature, "ZDFmYmU3YzVmZWFhMzY3ODU2NTYxZmI0Y2FkZGFjMDUxNTM3MzQ0Nw=="
        )

    def test_end_example_verifies_and_parses(self):
        body = (
            b"event=NOTIFY_END&call_start=2024-05-14+10%3A15%3A03"
            b"&pbx_call_id=in_0f1e2d3c4b5a69788796a5b4c3d2e1f0&caller_id=79161234567"
            b"&called_did=74951234567&internal=101&duration=77&disposition=answered"
            b"&status_code=16&is_recorded=1&call_id_with_rec=1715670903.1234567"
        )
        adapter = get_adapter("zadarma")
        adapter.timezone = "Europe/Moscow"
        config = {"zadarma_api_secret": SECRET}
        good = {"Signature": "YTFjMzQzYjM0YmRlNmMwZGEyNTI1YTUzNWUzMWUzNjJjNzQ0MmQ4MA=="}
        adapter.verify(config, good, body, "https://odoo.example.com/x", 0)
        with self.assertRaises(SignatureError):
            adapter.verify(
                config,
                good,
                body.replace(b"=101&", b"=102&").replace(b"79161", b"79162"),
                "",
                0,
            )
        (event,) = adapter.parse(body)
        self.assertEqual(event.external_call_id, "in_0f1e2d3c4b5a69788796a5b4c3d2e1f0")
        self.assertEqual(event.state, "ended")
        self.assertIsNone(
            event.outcome, "the fold tells an agent's answer from an IVR's"
        )
        self.assertIsNone(event.billsec)
        self.assertEqual(str(event.started_at), "2024-05-14 07:15:03")
        self.assertEqual(event.recording_id, "1715670903.1234567")


@tagged("post_install", "-at_install")
class TestZadarmaProvider(HttpCase, CallcenterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ru = cls.env.ref("base.ru")
        cls.zadarma = cls.env["crm.callcenter.provider"].create(
            {
                "name": "Zadarma",
                "code": "zadarma",
                "default_country_id": cls.ru.id,
                "zadarma_api_key": KEY,
                "zadarma_api_secret": SECRET,
                "zadarma_timezone": "Europe/Moscow",
            }
        )
        cls.env["crm.callcenter.extension"].create(
            [
                {"name": "101", "provider_id": cls.zadarma.id, "user_id": cls.agent.id},
                {
                    "name": "102",
                    "provider_id": cls.zadarma.id,
                    "user_id": cls.agent_b.id,
                },
            ]
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Иван Петров",
                "phone": "8 (916) 123-45-67",
                "country_id": cls.ru.id,
            }
        )

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo's tests block external hosts above the transport; the Zadarma
        # API is faked below it, by ``responses``.
        if urlsplit(r.url).hostname in ("api.zadarma.com", "api.novofon.com"):
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    # -- the fake Zadarma ------------------------------------------------------

    def path(self):
        return f"/callcenter/webhook/{self.zadarma.webhook_token}"

    def notify(self, event, secret=SECRET, **fields):
        fields = {"event": event, **fields}
        body = urlencode(fields).encode()
        return body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "Signature": zadarma_signature(fields, secret),
        }

    def post(self, signed):
        body, headers = signed
        return self.url_open(self.path(), data=body, headers=headers, timeout=30)

    def post_all(self, signed_list):
        for signed in signed_list:
            response = self.post(signed)
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.text, "")

    def inbound(self, call_id, start=BASE_TIME, caller=CUSTOMER):
        """The notifications of one inbound call, by name."""
        common = {
            "call_start": moscow(start),
            "pbx_call_id": call_id,
            "caller_id": caller,
            "called_did": DID,
        }
        return {
            "start": self.notify("NOTIFY_START", **common),
            "ivr": self.notify("NOTIFY_IVR", **common),
            "ring101": self.notify("NOTIFY_INTERNAL", internal="101", **common),
            "ring102": self.notify("NOTIFY_INTERNAL", internal="102", **common),
            "answer101": self.notify(
                "NOTIFY_ANSWER",
                caller_id=caller,
                destination="101",
                call_start=common["call_start"],
                pbx_call_id=call_id,
                internal="101",
            ),
            "answer102": self.notify(
                "NOTIFY_ANSWER",
                caller_id=caller,
                destination="102",
                call_start=common["call_start"],
                pbx_call_id=call_id,
                internal="102",
            ),
        }

    def end(self, call_id, disposition, duration, start=BASE_TIME, rec="", **extra):
        return self.notify(
            "NOTIFY_END",
            call_start=moscow(start),
            pbx_call_id=call_id,
            caller_id=extra.pop("caller", CUSTOMER),
            called_did=DID,
            internal=extra.pop("internal", "101"),
            duration=str(duration),
            disposition=disposition,
            status_code="16" if disposition == "answered" else "19",
            is_recorded="1" if rec else "0",
            call_id_with_rec=rec,
        )

    def record(self, call_id, rec):
        return self.notify("NOTIFY_RECORD", call_id_with_rec=rec, pbx_call_id=call_id)

    def new_id(self, prefix="in_"):
        return f"{prefix}{next(_ids):032x}"

    def get_zadarma_call(self, call_id):
        return self.get_call(call_id, provider=self.zadarma)

    def counts(self):
        return (
            self.env["crm.callcenter.event"].search_count([]),
            self.env["crm.callcenter.call"].search_count([]),
        )

    # -- URL check -------------------------------------------------------------

    def test_url_check_echoes_zd_echo(self):
        before = self.counts()
        response = self.url_open(self.path() + "?zd_echo=4d7f1a9c2b")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.text, "4d7f1a9c2b")
        self.assertEqual(self.url_open(self.path()).status_code, 405)
        self.assertEqual(self.counts(), before)

    # -- inbound -------------------------------------------------------------

    def test_inbound_answered(self):
        call_id = self.new_id()
        events = self.inbound(call_id)
        rec = "1772442000.1234567"
        with freeze_time(BASE_TIME + timedelta(seconds=1)):
            self.post_all([events["start"], events["ring101"]])
        call = self.get_zadarma_call(call_id)
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ringing",
                    "user_id": self.agent.id,
                    "partner_id": self.customer.id,
                }
            ],
        )
        with freeze_time(BASE_TIME + timedelta(seconds=12)):
            self.post_all([events["answer101"]])
        with freeze_time(BASE_TIME + timedelta(seconds=92)):
            self.post_all([self.end(call_id, "answered", 80, rec=rec)])
        call.invalidate_recordset()
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "inbound",
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "extension": "101",
                    "partner_id": self.customer.id,
                    "from_number": CUSTOMER_E164,
                    "did": DID,
                    # call_start is Moscow time: stored in UTC.
                    "started_at": BASE_TIME,
                    "answered_at": BASE_TIME + timedelta(seconds=12),
                    "ended_at": BASE_TIME + timedelta(seconds=92),
                    "billsec": 80,
                    "duration": 92,
                    "recording_id": rec,
                    "hangup_cause": "answered (16)",
                }
            ],
        )

    def test_inbound_missed(self):
        for disposition, outcome, abandoned in (
            ("cancel", "cancelled", True),
            ("no answer", "no_answer", False),
            ("busy", "busy", False),
        ):
            with self.subTest(disposition=disposition):
                call_id = self.new_id()
                events = self.inbound(call_id)
                self.post_all(
                    [
                        events["start"],
                        events["ring101"],
                        self.end(call_id, disposition, 25),
                    ]
                )
                self.assertRecordValues(
                    self.get_zadarma_call(call_id),
                    [
                        {
                            "state": "ended",
                            "outcome": outcome,
                            "is_missed": True,
                            "is_abandoned": abandoned,
                            "billsec": 0,
                            "user_id": self.agent.id,
                        }
                    ],
                )

    def test_answered_by_ivr_only_is_missed(self):
        """disposition=answered because the IVR answered: no agent did."""
        call_id = self.new_id()
        events = self.inbound(call_id)
        self.post_all(
            [
                events["start"],
                events["ivr"],
                self.end(call_id, "answered", 40, internal=""),
            ]
        )
        self.assertRecordValues(
            self.get_zadarma_call(call_id),
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    "billsec": 0,
                    "answered_at": False,
                    "user_id": False,
                }
            ],
        )

    def test_transfer_to_another_extension(self):
        call_id = self.new_id()
        events = self.inbound(call_id)
        self.post_all([events["start"], events["ring101"], events["answer101"]])
        call = self.get_zadarma_call(call_id)
        self.assertEqual(call.user_id, self.agent)
        answered_at = call.answered_at
        self.post_all(
            [
                events["ring102"],
                events["answer102"],
                self.end(call_id, "answered", 120, internal="102"),
            ]
        )
        call.invalidate_recordset()
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent_b.id,
                    "extension": "102",
                    "answered_at": answered_at,
                }
            ],
        )

    def test_ring_group_pops_every_extension_it_rings(self):
        # The number rings 101 and 102 at once (a Zadarma group): both
        # agents see the caller; 102 answers, 101's card closes.
        call_id = self.new_id()
        events = self.inbound(call_id)
        self.post_all([events["start"], events["ring101"], events["ring102"]])
        call = self.get_zadarma_call(call_id)
        self.assertEqual(call.user_id, self.agent)
        self.assertEqual(call.ringing_user_ids, self.agent_b)
        for agent in (self.agent, self.agent_b):
            (payload,) = self.bus_payloads(agent)
            self.assertEqual(payload["state"], "ringing")
            self.assertEqual(payload["partner"]["id"], self.customer.id)
        self.post_all([events["answer102"]])
        call.invalidate_recordset()
        self.assertEqual(call.user_id, self.agent_b)
        self.assertEqual(call.ringing_user_ids, self.agent)
        self.assertTrue(self.bus_payloads(self.agent)[-1]["closed"])
        self.assertEqual(
            [(p["state"], p["closed"]) for p in self.bus_payloads(self.agent_b)],
            [("ringing", False), ("answered", False)],
        )

    def test_recording_after_the_end(self):
        call_id = self.new_id()
        events = self.inbound(call_id)
        rec = "1772442000.7654321"
        self.post_all(
            [
                events["start"],
                events["answer101"],
                self.end(call_id, "answered", 30),
            ]
        )
        call = self.get_zadarma_call(call_id)
        self.assertFalse(call.recording_id)
        self.post_all([self.record(call_id, rec)])
        call.invalidate_recordset()
        self.assertRecordValues(
            call, [{"state": "ended", "outcome": "answered", "recording_id": rec}]
        )

    def test_duplicates_and_reordering(self):
        call_id = self.new_id()
        events = self.inbound(call_id)
        end = self.end(call_id, "answered", 60)
        rec = self.record(call_id, "1772442000.1")
        before = self.counts()
        self.post_all(
            [
                events["ring101"],
                events["start"],
                events["answer101"],
                events["ring101"],
                events["answer101"],
                end,
                rec,
                end,
                events["start"],
            ]
        )
        after = self.counts()
        self.assertEqual(after[0] - before[0], 5, "each distinct message stored once")
        self.assertEqual(after[1] - before[1], 1)
        self.assertRecordValues(
            self.get_zadarma_call(call_id),
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "started_at": BASE_TIME,
                    "recording_id": "1772442000.1",
                }
            ],
        )

    def test_bad_signatures_are_refused_and_store_nothing(self):
        call_id = self.new_id()
        body, headers = self.inbound(call_id)["start"]
        before = self.counts()
        cases = {
            "wrong secret": self.post(
                self.notify(
                    "NOTIFY_START",
                    secret="other_secret",
                    call_start=moscow(BASE_TIME),
                    pbx_call_id=call_id,
                    caller_id=CUSTOMER,
                    called_did=DID,
                )
            ),
            "no signature": self.post(
                (body, {"Content-Type": headers["Content-Type"]})
            ),
            "tampered": self.post(
                (body.replace(CUSTOMER.encode(), b"79160000000"), headers)
            ),
            "unknown event": self.post(
                (body.replace(b"NOTIFY_START", b"NOTIFY_SMS"), headers)
            ),
        }
        for reason, response in cases.items():
            with self.subTest(reason=reason):
                self.assertEqual(response.status_code, 401, response.text)
        self.assertEqual(self.counts(), before)
        self.zadarma.invalidate_recordset(["rejected_count"])
        self.assertEqual(self.zadarma.rejected_count, len(cases))

    def test_charset_rfc1738_spaces_and_cyrillic(self):
        call_id = self.new_id()
        fields = {
            "event": "NOTIFY_START",
            "call_start": moscow(BASE_TIME),
            "pbx_call_id": call_id,
            # A SIP caller shows a name instead of a number.
            "caller_id": "Анна Петрова",
            "called_did": DID,
        }
        signature = zadarma_signature(fields)
        plus = urlencode(fields).encode()
        self.assertIn(b"call_start=2026-03-02+12%3A00%3A00", plus)
        self.assertIn(b"caller_id=%D0%90%D0%BD%D0%BD%D0%B0+", plus)
        # The same values with %20 spaces decode (and verify) alike.
        percent = urlencode(fields, quote_via=quote).encode()
        self.assertIn(b"%20", percent)
        content = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        for body in (plus, percent):
            response = self.post((body, {**content, "Signature": signature}))
            self.assertEqual(response.status_code, 200, response.text)
        call = self.get_zadarma_call(call_id)
        self.assertRecordValues(
            call,
            [
                {
                    "from_number": "Анна Петрова",
                    "started_at": BASE_TIME,
                    "partner_id": False,
                    "state": "ringing",
                }
            ],
        )

    def test_call_start_read_in_the_account_time_zone(self):
        self.zadarma.zadarma_timezone = "Asia/Ho_Chi_Minh"
        call_id = self.new_id()
        # 12:00 read as Ho Chi Minh time (UTC+7) is 05:00 UTC, not 09:00.
        self.post_all([self.inbound(call_id)["start"]])
        call = self.get_zadarma_call(call_id)
        self.assertEqual(call.started_at, BASE_TIME - timedelta(hours=4))
        # The retry cron re-parses the stored body with the same zone.
        event = call.event_ids
        (parsed,) = self.zadarma._get_adapter().parse(event.payload.encode())
        self.assertEqual(parsed.started_at, call.started_at)

    def test_sample_request_is_accepted_and_creates_no_call(self):
        adapter = self.zadarma._get_adapter()
        body, headers = adapter.sample_request(
            self.zadarma._get_adapter_config(),
            self.base_url() + self.path(),
            1_800_000_000,
        )
        before = self.counts()
        response = self.url_open(self.path(), data=body, headers=headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.counts()[1], before[1], "no call created")

    # -- click-to-call ---------------------------------------------------------

    def originate(self, extension="101", number=CUSTOMER_E164, **mock):
        config = self.zadarma._get_adapter_config()
        with responses.RequestsMock() as fake:
            fake.add(responses.GET, CALLBACK_URL, **mock)
            try:
                result = self.zadarma._get_adapter().originate(
                    config, extension, number, "odoo-c2c-1"
                )
            except OriginateError as exc:
                result = exc
            return result, fake.calls[0].request

    def click_row(self, result, placeholder):
        """The call row the click creates (the click-to-call action's job)."""
        return (
            self.env["crm.callcenter.call"]
            .sudo()
            .create(
                {
                    "provider_id": self.zadarma.id,
                    "company_id": self.zadarma.company_id.id,
                    "external_call_id": result.external_call_id or placeholder,
                    "correlation_id": result.correlation_id,
                    "direction": "outbound",
                    "state": "ringing",
                    "user_id": self.agent.id,
                    "extension": "101",
                    "to_number": CUSTOMER_E164,
                }
            )
        )

    def outbound(self, call_id, disposition, duration, start=BASE_TIME):
        common = {
            "call_start": moscow(start),
            "pbx_call_id": call_id,
            "internal": "101",
            "destination": CUSTOMER,
        }
        return [
            self.notify("NOTIFY_OUT_START", **common),
            self.notify(
                "NOTIFY_OUT_END",
                caller_id="74951234567",
                duration=str(duration),
                disposition=disposition,
                status_code="16",
                is_recorded="0",
                call_id_with_rec="",
                **common,
            ),
        ]

    def test_click_to_call_request_and_its_events_on_the_same_call(self):
        result, request = self.originate(
            json={
                "status": "success",
                "from": 101,
                "to": 79161234567,
                "time": 1772442000,
            }
        )
        # PROTOCOLS.md §11 vector 7: the request Zadarma's own client sends.
        self.assertEqual(
            request.headers["Authorization"],
            f"{KEY}:ZDFmYmU3YzVmZWFhMzY3ODU2NTYxZmI0Y2FkZGFjMDUxNTM3MzQ0Nw==",
        )
        self.assertEqual(
            parse_qs(urlsplit(request.url).query),
            {"format": ["json"], "from": ["101"], "to": ["79161234567"]},
        )
        self.assertIsNone(result.external_call_id, "Zadarma gives no call id")
        call = self.click_row(result, "odoo-click-1")
        call_id = self.new_id("out_")
        start, end = self.outbound(call_id, "answered", 65)
        self.post_all([start])
        self.assertEqual(self.get_zadarma_call(call_id), call, "the click's row")
        self.post_all([end])
        call.invalidate_recordset()
        self.assertRecordValues(
            call,
            [
                {
                    "external_call_id": call_id,
                    "direction": "outbound",
                    "state": "ended",
                    "outcome": "answered",
                    "billsec": 65,
                    "user_id": self.agent.id,
                    "partner_id": self.customer.id,
                    "to_number": CUSTOMER_E164,
                }
            ],
        )
        # The agent calls the same number later from the phone: a new call,
        # the clicked one keeps its events.
        later = self.new_id("out_")
        self.post_all(
            self.outbound(later, "no answer", 0, BASE_TIME + timedelta(hours=2))
        )
        self.assertEqual(self.get_zadarma_call(call_id), call)
        second = self.get_zadarma_call(later)
        self.assertEqual(len(second), 1)
        self.assertNotEqual(second, call)
        self.assertEqual(second.outcome, "no_answer")
        self.assertFalse(second.is_missed)

    def test_call_back_first_leg_to_the_agent_is_not_a_call(self):
        before = self.counts()
        leg1 = self.notify(
            "NOTIFY_OUT_START",
            call_start=moscow(BASE_TIME),
            pbx_call_id=self.new_id("out_"),
            internal="101",
            destination="101",
            calltype="callback_leg1",
        )
        self.post_all([leg1])
        self.assertEqual(self.counts()[1], before[1])

    def test_click_to_call_errors_are_readable(self):
        refused, _request = self.originate(
            json={"status": "error", "message": "Wrong parameter 'to'"}
        )
        self.assertIsInstance(refused, OriginateError)
        self.assertIn("Wrong parameter 'to'", str(refused))
        self.assertNotIn(SECRET, str(refused))
        unauthorized, _request = self.originate(
            status=401, json={"status": "error", "message": "Not authorized"}
        )
        self.assertIsInstance(unauthorized, OriginateError)
        self.assertIn("401", str(unauthorized))
        down, _request = self.originate(status=502, body="Bad Gateway")
        self.assertIsInstance(down, OriginateError)
        self.assertIn("502", str(down))
        slow, _request = self.originate(body=requests.Timeout("read timed out"))
        self.assertIsInstance(slow, OriginateError)
        self.assertIn("10", str(slow))
        not_json, _request = self.originate(body="<html>maintenance</html>")
        self.assertIsInstance(not_json, OriginateError)

    def test_click_to_call_uses_the_configured_api_url_and_timeout(self):
        self.zadarma.write(
            {"zadarma_api_url": "https://api.novofon.com/", "request_timeout": 4}
        )
        config = self.zadarma._get_adapter_config()
        with responses.RequestsMock() as fake:
            fake.add(
                responses.GET,
                "https://api.novofon.com/v1/request/callback/",
                json={"status": "success"},
            )
            with self.assertRaises(OriginateError):
                self.zadarma._get_adapter().originate(
                    {**config, "zadarma_api_secret": ""}, "101", CUSTOMER_E164, "x"
                )
            self.assertEqual(len(fake.calls), 0, "nothing sent without a secret")
            self.zadarma._get_adapter().originate(config, "102", CUSTOMER_E164, "x")
            self.assertEqual(fake.calls[0].request.req_kwargs["timeout"], 4)
