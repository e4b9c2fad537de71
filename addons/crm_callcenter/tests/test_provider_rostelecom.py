"""Rostelecom virtual PBX: signed JSON call events posted to Odoo over real
HTTP; the API (call_back, call_info, get_record) faked at the transport
with ``responses``."""

import json
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

import requests
import responses
from freezegun import freeze_time

from odoo.tests import HttpCase, tagged
from odoo.tests.common import BaseCase

from ..tools.providers import OriginateError, get_adapter
from ..tools.providers.rostelecom import client_sign
from ..tools.signature import SignatureError
from .common import FakedApiMixin, make_center

# PROTOCOLS.md §11, vector 10 (the §6.3 example body).
CLIENT_ID = "5E61B2AB42BA100556C447F4BB8A572F"
KEY = "9F3C1D2E4B5A69788796A5B4C3D2E1F0"
VECTOR_BODY = (
    b'{"session_id":"SDB0D6D2C0A1D5F9A","timestamp":"2024-05-14 10:15:03.214",'
    b'"type":"incoming","state":"new","from_number":"79161234567",'
    b'"request_number":"74951234567"}'
)
VECTOR_SIGN = "b349eb162a58b5748f104a7a621bcd5065a95dadade01ecab64eb6c1806a8b54"

API = "https://api.cloudpbx.rt.ru/"
CUSTOMER = "79161234567"
LINE = "74951234567"
START = datetime(2026, 3, 2, 9, 0, 0)  # naive UTC = 12:00 in Moscow
MSK = timezone(timedelta(hours=3))
RECORD_URL = "https://records.cloudpbx.rt.ru/one-time/4f2a.mp3"


def msk(moment):
    """How the virtual PBX writes a time: Moscow time, milliseconds."""
    local = moment.replace(tzinfo=timezone.utc).astimezone(MSK)
    return local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d}"


class FakeRostelecom:
    """Builds call_events requests and API answers as the virtual PBX does."""

    def __init__(self, client_id=CLIENT_ID, key=KEY):
        self.client_id = client_id
        self.key = key

    def headers(self, body, client_id=None, key=None):
        client_id = self.client_id if client_id is None else client_id
        return {
            "Content-Type": "application/json",
            "X-Client-ID": client_id,
            "X-Client-Sign": client_sign(
                client_id, body, self.key if key is None else key
            ),
        }

    @staticmethod
    def event(session, state, at, call_type="incoming", encoding="utf-8", **extra):
        doc = {
            "session_id": session,
            "timestamp": msk(at),
            "type": call_type,
            "state": state,
            "from_number": CUSTOMER,
            "request_number": LINE,
            **extra,
        }
        return json.dumps(doc, ensure_ascii=False).encode(encoding)

    def answered_inbound(self, session, pin="101"):
        """Rings 101 after 2 s, answered at 10 s, ended at 70 s, recorded."""
        return [
            self.event(session, "new", START),
            self.event(
                session, "calling", START + timedelta(seconds=2), request_pin=pin
            ),
            self.event(
                session, "connected", START + timedelta(seconds=10), request_pin=pin
            ),
            self.event(
                session,
                "end",
                START + timedelta(seconds=70),
                request_pin=pin,
                is_record="true",
            ),
        ]

    @staticmethod
    def call_info(session, state=1, duration=72):
        return {
            "result": "0",
            "resultMessage": "OK",
            "info": {
                "session_id": session,
                "direction": 1,
                "state": state,
                "orig_number": CUSTOMER,
                "dest_number": LINE,
                "start_call_date": msk(START)[:19],
                "duration": duration,
                "is_record": "true",
            },
        }


class TestRostelecomSignature(BaseCase):
    def test_vector_10(self):
        self.assertEqual(client_sign(CLIENT_ID, VECTOR_BODY, KEY), VECTOR_SIGN)
        adapter = get_adapter("rostelecom")
        config = {"rostelecom_client_id": CLIENT_ID, "rostelecom_sign_key": KEY}
        headers = {"X-Client-ID": CLIENT_ID, "X-Client-Sign": VECTOR_SIGN}
        adapter.verify(config, headers, VECTOR_BODY, "https://odoo.example.com", 0)
        (event,) = adapter.parse(VECTOR_BODY)
        self.assertEqual(event.external_call_id, "SDB0D6D2C0A1D5F9A")
        self.assertEqual((event.state, event.direction), ("ringing", "inbound"))
        # 10:15:03 Moscow time.
        self.assertEqual(event.started_at, datetime(2024, 5, 14, 7, 15, 3))
        for name, (other_config, other_headers) in {
            "other key": (config | {"rostelecom_sign_key": "X" * 32}, headers),
            "other id": (config, headers | {"X-Client-ID": "A" * 32}),
            "no sign": (config, {"X-Client-ID": CLIENT_ID}),
            "not configured": ({}, headers),
        }.items():
            with self.subTest(name), self.assertRaises(SignatureError):
                adapter.verify(other_config, other_headers, VECTOR_BODY, "", 0)

    def test_field_names_are_settings(self):
        adapter = get_adapter("rostelecom")
        body = FakeRostelecom.event("S-opt", "connected", START, operator="206")
        (event,) = adapter.parse(body)
        self.assertEqual((event.state, event.agent_extension), ("answered", None))
        adapter.options = {
            **adapter.options,
            "agent_fields": ("operator",),
            "answer_needs_agent": True,
            "timezone": "Asia/Yekaterinburg",
        }
        (event,) = adapter.parse(body)
        self.assertEqual((event.state, event.agent_extension), ("answered", "206"))
        self.assertEqual(event.answered_at, START - timedelta(hours=2))
        adapter.options["agent_fields"] = ("absent",)
        (event,) = adapter.parse(body)
        self.assertIsNone(event.state, "no employee named: not an answer")


@tagged("post_install", "-at_install")
class TestRostelecomProvider(FakedApiMixin, HttpCase):
    faked_api_hosts = ("api.cloudpbx.rt.ru",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ru = cls.env.ref("base.ru")
        cls.provider, cls.agent, cls.agent_b, cls.partner = make_center(
            cls.env,
            {
                "name": "Rostelecom",
                "code": "rostelecom",
                "default_country_id": cls.ru.id,
                "rostelecom_client_id": CLIENT_ID,
                "rostelecom_sign_key": KEY,
                "rostelecom_sip_domain": "company.rt.ru",
            },
            ("rt_agent_a", "Анна Агент"),
            ("rt_agent_b", "Борис Агент"),
            {
                "name": "Иван Петров",
                "phone": "+7 916 123 45 67",
                "country_id": cls.ru.id,
            },
        )
        cls.rt = FakeRostelecom()
        cls.cron = cls.env.ref("crm_callcenter.ir_cron_crm_callcenter_rostelecom_fetch")

    def post(self, body, headers=None):
        self.env.flush_all()
        response = self.url_open(
            f"/callcenter/webhook/{self.provider.webhook_token}",
            data=body,
            headers=headers or self.rt.headers(body),
            timeout=30,
        )
        # The request changed rows behind this environment's cache.
        self.env.invalidate_all()
        return response

    def post_all(self, bodies):
        for body in bodies:
            response = self.post(body)
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.json()["result"], "0")

    def get_call(self, session):
        return self.env["crm.callcenter.call"].search(
            [("provider_id", "=", self.provider.id), ("external_call_id", "=", session)]
        )

    def counts(self):
        return (
            self.env["crm.callcenter.event"].search_count(
                [("provider_id", "=", self.provider.id)]
            ),
            self.env["crm.callcenter.call"].search_count(
                [("provider_id", "=", self.provider.id)]
            ),
        )

    def run_cron(self, at=None):
        with (
            freeze_time(at or datetime.now()),
            patch.object(self.env.cr, "commit"),
        ):
            self.env["crm.callcenter.call"]._cron_rostelecom_fetch()
        self.env.invalidate_all()

    def mock_api(self):
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        # The webhooks go to this Odoo through real HTTP.
        mock.add_passthru(self.base_url())
        return mock

    def assertSignedApiCall(self, call, method, payload):
        request = call.request
        self.assertEqual(request.url, API + method)
        self.assertEqual(json.loads(request.body), payload)
        self.assertEqual(request.headers["X-Client-ID"], CLIENT_ID)
        self.assertEqual(
            request.headers["X-Client-Sign"], client_sign(CLIENT_ID, request.body, KEY)
        )
        self.assertEqual(request.req_kwargs["timeout"], 10)

    def test_answered_inbound_call_then_details_from_the_api(self):
        with self.mock_api() as api:
            self.post_all(self.rt.answered_inbound("S-in-1"))
            self.assertEqual(len(api.calls), 0, "no API request in the webhook")
        call = self.get_call("S-in-1")
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "inbound",
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "partner_id": self.partner.id,
                    "started_at": START,
                    "answered_at": START + timedelta(seconds=10),
                    "ended_at": START + timedelta(seconds=70),
                    "billsec": 60,
                    "recording_id": "S-in-1",
                    "recording_url": False,
                    "rostelecom_fetch": "info",
                }
            ],
        )
        self.assertTrue(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]),
            "the end triggers the fetch cron",
        )
        with self.mock_api() as api:
            api.add(responses.POST, API + "call_info", json=self.rt.call_info("S-in-1"))
            api.add(
                responses.POST,
                API + "get_record",
                json={"result": "0", "url": RECORD_URL},
            )
            self.run_cron()
            self.assertEqual(len(api.calls), 2)
            self.assertSignedApiCall(
                api.calls[0], "call_info", {"session_id": "S-in-1"}
            )
            self.assertSignedApiCall(
                api.calls[1], "get_record", {"session_id": "S-in-1"}
            )
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "duration": 72,
                    "billsec": 60,
                    "recording_url": RECORD_URL,
                    "rostelecom_fetch": "done",
                }
            ],
        )
        details = call.event_ids.filtered(
            lambda e: e.dedup_key.startswith(("call_info", "get_record"))
        )
        self.assertEqual(sorted(details.mapped("state")), ["done", "done"])
        # Stored answers parse again alone (the retry cron, reprocessing).
        adapter = self.provider._get_adapter()
        for event in details:
            self.assertTrue(adapter.parse(event.payload.encode()))

    def test_missed_inbound_call(self):
        session = "S-missed"
        self.post_all(
            [
                self.rt.event(session, "new", START),
                self.rt.event(
                    session, "calling", START + timedelta(seconds=2), request_pin="101"
                ),
                self.rt.event(
                    session, "end", START + timedelta(seconds=30), is_record="false"
                ),
            ]
        )
        with self.mock_api() as api:
            api.add(
                responses.POST,
                API + "call_info",
                json=self.rt.call_info(session, 2, 30),
            )
            self.run_cron()
            self.assertEqual(len(api.calls), 1, "no recording to fetch")
        self.assertRecordValues(
            self.get_call(session),
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    "billsec": 0,
                    "duration": 30,
                    "user_id": self.agent.id,
                    "rostelecom_fetch": "done",
                }
            ],
        )

    def test_ivr_answered_but_missed(self):
        session = "S-ivr"
        # The voice menu answers (connected, no employee), the caller hangs up.
        self.post_all(
            [
                self.rt.event(session, "new", START),
                self.rt.event(session, "connected", START + timedelta(seconds=1)),
                self.rt.event(session, "end", START + timedelta(seconds=50)),
            ]
        )
        with self.mock_api() as api:
            api.add(
                responses.POST,
                API + "call_info",
                json=self.rt.call_info(session, 2, 50),
            )
            self.run_cron()
        self.assertRecordValues(
            self.get_call(session),
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    "billsec": 0,
                    "user_id": False,
                }
            ],
        )
        # Domains whose voice menu sends "connected": an answer needs an
        # employee, so the call never shows as in progress.
        self.provider.rostelecom_answer_needs_agent = True
        self.post_all(
            [
                self.rt.event("S-ivr-2", "new", START),
                self.rt.event("S-ivr-2", "connected", START + timedelta(seconds=1)),
            ]
        )
        self.assertRecordValues(
            self.get_call("S-ivr-2"), [{"state": "ringing", "answered_at": False}]
        )

    def test_outbound_click_to_call(self):
        adapter = self.provider._get_adapter()
        config = self.provider._get_adapter_config()
        with self.mock_api() as api:
            api.add(
                responses.POST,
                API + "call_back",
                json={"result": "0", "resultMessage": "OK", "session_id": "S-out-1"},
            )
            result = adapter.originate(config, "101", "+79161234567", "odoo-call-7")
            self.assertSignedApiCall(
                api.calls[0],
                "call_back",
                {"request_number": CUSTOMER, "from_sipuri": "sip:101@company.rt.ru"},
            )
        self.assertEqual(
            (result.external_call_id, result.correlation_id), ("S-out-1", "odoo-call-7")
        )
        # The row the click creates with what the provider answered.
        click = self.env["crm.callcenter.call"].create(
            {
                "provider_id": self.provider.id,
                "company_id": self.provider.company_id.id,
                "external_call_id": result.external_call_id,
                "correlation_id": result.correlation_id,
                "direction": "outbound",
                "user_id": self.agent.id,
                "to_number": "+79161234567",
                "started_at": START,
            }
        )
        out = {
            "call_type": "outbound",
            "from_number": "101",
            "from_pin": "101",
            "request_number": CUSTOMER,
        }
        self.post_all(
            [
                self.rt.event("S-out-1", "new", START, **out),
                self.rt.event(
                    "S-out-1", "calling", START + timedelta(seconds=1), **out
                ),
                self.rt.event(
                    "S-out-1", "connected", START + timedelta(seconds=9), **out
                ),
                self.rt.event("S-out-1", "end", START + timedelta(seconds=49), **out),
            ]
        )
        self.assertEqual(self.counts()[1], 1, "one call row")
        self.assertRecordValues(
            click,
            [
                {
                    "direction": "outbound",
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "partner_id": self.partner.id,
                    "answered_at": START + timedelta(seconds=9),
                    "billsec": 40,
                }
            ],
        )

    def test_originate_errors(self):
        adapter = self.provider._get_adapter()
        config = self.provider._get_adapter_config()
        cases = [
            ({"status": 403, "json": {}}, "refused"),
            ({"status": 500, "body": "oops"}, "500"),
            ({"json": {"result": "2", "resultMessage": "Bad number"}}, "Bad number"),
            ({"body": "not json"}, "not a JSON"),
            ({"body": requests.Timeout()}, "in time"),
        ]
        for answer, message in cases:
            with self.subTest(message=message), self.mock_api() as api:
                api.add(responses.POST, API + "call_back", **answer)
                with self.assertRaisesRegex(OriginateError, message) as caught:
                    adapter.originate(config, "101", "+79161234567", "odoo-err")
                self.assertNotIn(KEY, str(caught.exception))
        with self.assertRaisesRegex(OriginateError, "SIP domain"):
            adapter.originate(
                {**config, "rostelecom_sip_domain": ""}, "101", "+7916", "odoo-err"
            )

    def test_transfer_to_another_agent(self):
        session = "S-transfer"
        self.post_all(
            [
                *self.rt.answered_inbound(session)[:3],
                self.rt.event(
                    session, "calling", START + timedelta(seconds=40), request_pin="102"
                ),
                self.rt.event(
                    session,
                    "connected",
                    START + timedelta(seconds=45),
                    request_pin="102",
                ),
                self.rt.event(
                    session, "end", START + timedelta(seconds=100), request_pin="102"
                ),
            ]
        )
        self.assertRecordValues(
            self.get_call(session),
            [
                {
                    "outcome": "answered",
                    "user_id": self.agent_b.id,
                    "extension": "102",
                    "answered_at": START + timedelta(seconds=10),
                    "billsec": 90,
                }
            ],
        )

    def test_recording_after_the_end_with_retries(self):
        session = "S-retry"
        self.post_all(self.rt.answered_inbound(session))
        call = self.get_call(session)
        now = datetime.now()
        with self.mock_api() as api:
            api.add(responses.POST, API + "call_info", status=502)
            self.run_cron(now)
        self.assertRecordValues(
            call,
            [
                {
                    "rostelecom_fetch": "info",
                    "rostelecom_fetch_attempts": 1,
                    "duration": 70,
                }
            ],
        )
        self.assertIn("502", call.rostelecom_fetch_error)
        retry_at = call.rostelecom_fetch_next_at
        self.assertEqual(retry_at, now.replace(microsecond=0) + timedelta(minutes=1))
        self.assertTrue(
            self.env["ir.cron.trigger"].search_count(
                [("cron_id", "=", self.cron.id), ("call_at", "=", retry_at)]
            )
        )
        with self.mock_api() as api:
            self.run_cron(now + timedelta(seconds=30))
            self.assertEqual(len(api.calls), 0, "not before the backoff delay")
        with self.mock_api() as api:
            api.add(responses.POST, API + "call_info", json=self.rt.call_info(session))
            # The recording is not ready yet.
            api.add(
                responses.POST,
                API + "get_record",
                # (With a NUL, which PostgreSQL cannot store: U+FFFD.)
                json={"result": "1", "resultMessage": "File not\x00 found"},
            )
            self.run_cron(now + timedelta(minutes=2))
        self.assertRecordValues(
            call,
            [
                {
                    "duration": 72,
                    "recording_url": False,
                    "rostelecom_fetch": "record",
                    "rostelecom_fetch_attempts": 1,
                    "rostelecom_fetch_error": "get_record: result 1: File not\ufffd found",
                }
            ],
        )
        with self.mock_api() as api:
            api.add(
                responses.POST,
                API + "get_record",
                json={"result": "0", "url": RECORD_URL},
            )
            self.run_cron(now + timedelta(minutes=4))
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "recording_url": RECORD_URL,
                    "rostelecom_fetch": "done",
                }
            ],
        )
        # An API that never answers: the call gives up after the last retry.
        self.post_all(self.rt.answered_inbound("S-down"))
        down = self.get_call("S-down")
        at = now
        with self.mock_api() as api:
            api.add(responses.POST, API + "call_info", body=requests.ConnectionError())
            for _attempt in range(10):
                at += timedelta(hours=2)
                self.run_cron(at)
        self.assertRecordValues(
            down,
            [
                {
                    "rostelecom_fetch": "failed",
                    "rostelecom_fetch_attempts": 7,
                    "outcome": "answered",
                }
            ],
        )

    def test_duplicates_and_out_of_order(self):
        shuffled = self.rt.answered_inbound("S-shuffled")
        for body in [
            shuffled[3],
            shuffled[2],
            shuffled[2],
            shuffled[0],
            shuffled[1],
            shuffled[3],
        ]:
            self.post_all([body])
        self.post_all(self.rt.answered_inbound("S-ordered"))
        one, other = self.get_call("S-shuffled"), self.get_call("S-ordered")
        self.assertEqual(len(one), 1)
        for fname in (
            "state",
            "outcome",
            "user_id",
            "partner_id",
            "started_at",
            "answered_at",
            "ended_at",
            "billsec",
            "rostelecom_fetch",
        ):
            self.assertEqual(one[fname], other[fname], fname)
        self.assertEqual(one.recording_id, "S-shuffled")
        self.assertEqual(len(one.event_ids), 4, "duplicates are stored once")

    def test_bad_signature_is_refused_and_stores_nothing(self):
        body = self.rt.event("S-bad", "new", START)
        before = self.counts()
        cases = [
            self.rt.headers(body, key="0" * 32),
            self.rt.headers(body, client_id="0" * 32),
            self.rt.headers(body + b" "),
            {"Content-Type": "application/json", "X-Client-ID": CLIENT_ID},
        ]
        for headers in cases:
            with self.subTest(headers=headers):
                response = self.post(body, headers)
                self.assertEqual(response.status_code, 401, response.text)
        self.assertEqual(self.counts(), before)

    def test_charset_of_caller_names(self):
        """Cyrillic names in UTF-8 or Windows-1251: the signature covers the
        bytes as sent, the inbox stores UTF-8 that parses again alike."""
        self.provider.rostelecom_name_field = "from_name"
        for session, encoding in (("S-utf8", "utf-8"), ("S-1251", "cp1251")):
            body = self.rt.event(
                session, "new", START, encoding=encoding, from_name="Иван Петров"
            )
            with self.subTest(encoding=encoding):
                self.assertEqual(self.post(body).status_code, 200)
                call = self.get_call(session)
                self.assertEqual(call.caller_name, "Иван Петров")
                self.assertEqual(call.partner_id, self.partner)
                (event,) = self.provider._get_adapter().parse(
                    call.event_ids.payload.encode()
                )
                self.assertEqual(event.caller_name, "Иван Петров")

    def test_send_test_event_creates_no_call(self):
        adapter = self.provider._get_adapter()
        config = self.provider._get_adapter_config()
        body, headers = adapter.sample_request(
            config, self.provider.webhook_url, 1772442000
        )
        before = self.counts()
        response = self.post(body, headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.counts(), (before[0] + 1, before[1]))
