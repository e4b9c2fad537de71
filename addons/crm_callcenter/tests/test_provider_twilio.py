"""Twilio Voice: status callbacks posted through real HTTP, signed as Twilio
signs them, and the Calls API faked at the transport (``responses``)."""

import base64
import hashlib
import hmac
import itertools
import random
from datetime import timedelta, timezone
from email.utils import format_datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
import responses

from odoo.tests import HttpCase, tagged
from odoo.tests.common import BaseCase, _super_send

from ..tools.providers import OriginateError, get_adapter
from ..tools.providers.twilio import compute_signature
from ..tools.signature import SignatureError
from .common import BASE_TIME, CallcenterCase

ACCOUNT = "AC5ef872f6da5a21de157d80997a64bd33"
TOKEN = "0123456789abcdef0123456789abcdef"
CALLER_ID = "+842838123456"
CUSTOMER = "+84903555111"  # the partner of CallcenterCase (0903 555 111, VN)
CALLS_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Calls.json"
_sids = itertools.count(1)


def new_sid():
    return f"CA{next(_sids):032x}"


def twilio_signature(token, url, params):
    """Twilio's algorithm, written here independently of the adapter."""
    text = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(token.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TestTwilioVectors(BaseCase):
    """PROTOCOLS.md §11, vectors 1 and 2."""

    def test_vector_1_published_by_twilio(self):
        params = {
            "CallSid": ["CA1234567890ABCDE"],
            "Caller": ["+12349013030"],
            "Digits": ["1234"],
            "From": ["+12349013030"],
            "To": ["+18005551212"],
        }
        self.assertEqual(
            compute_signature(
                "12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
        )

    def test_vector_2_status_callback(self):
        body = (
            b"AccountSid=AC5ef872f6da5a21de157d80997a64bd33&ApiVersion=2010-04-01"
            b"&CallSid=CA42ed11f93dc08b952027ffbc406d0868&CallStatus=completed"
            b"&Called=%2B14155550199&Caller=%2B14155550100"
            b"&CallbackSource=call-progress-events&CallDuration=65"
            b"&Direction=outbound-api&Duration=2&From=%2B14155550100"
            b"&SequenceNumber=3&SipResponseCode=200"
            b"&Timestamp=Tue%2C+14+May+2024+07%3A16%3A20+%2B0000&To=%2B14155550199"
        )
        adapter = get_adapter("twilio")
        config = {"twilio_auth_token": TOKEN, "twilio_account_sid": ACCOUNT}
        headers = {"X-Twilio-Signature": "4NXQWNMYaHrGcgr+IIQG7fMXdNI="}
        url = "https://odoo.example.com/twilio/voice/status?company=1"
        # Twilio's generation is inconsistent about default ports: both pass.
        for variant in (url, url.replace(".com/", ".com:443/")):
            with self.subTest(url=variant):
                adapter.verify(config, headers, body, variant, 0)
        # Odoo behind a proxy without proxy_mode sees its own URL: the public
        # base URL setting restores the one Twilio signed.
        internal = "http://127.0.0.1:8069/twilio/voice/status?company=1"
        with self.assertRaises(SignatureError):
            adapter.verify(config, headers, body, internal, 0)
        adapter.verify(
            {**config, "twilio_public_base_url": "https://odoo.example.com/"},
            headers,
            body,
            internal,
            0,
        )
        for wrong in (
            url.replace("company=1", "company=2"),
            url.replace("https", "http"),
        ):
            with self.subTest(url=wrong), self.assertRaises(SignatureError):
                adapter.verify(config, headers, body, wrong, 0)
        with self.assertRaises(SignatureError):
            adapter.verify(
                {**config, "twilio_account_sid": "AC" + "1" * 32},
                headers,
                body,
                url,
                0,
            )
        events = adapter.parse(body)
        self.assertEqual(len(events), 1)
        self.assertEqual(events[0].sequence, 3)
        self.assertEqual(str(events[0].event_time), "2024-05-14 07:16:20")


@tagged("post_install", "-at_install")
class TestTwilioProvider(HttpCase, CallcenterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.twilio = cls.env["crm.callcenter.provider"].create(
            {
                "name": "Twilio",
                "code": "twilio",
                "default_country_id": cls.vn.id,
                "twilio_account_sid": ACCOUNT,
                "twilio_auth_token": TOKEN,
                "twilio_caller_id": CALLER_ID,
            }
        )
        cls.env["crm.callcenter.extension"].create(
            [
                {
                    "name": "agent101",
                    "provider_id": cls.twilio.id,
                    "user_id": cls.agent.id,
                },
                {
                    "name": "102",
                    "provider_id": cls.twilio.id,
                    "user_id": cls.agent_b.id,
                },
            ]
        )

    @classmethod
    def _request_handler(cls, s, r, /, **kw):
        # Odoo's tests block external hosts above the transport; the Calls API
        # is faked below it, by ``responses``.
        if urlsplit(r.url).hostname == "api.twilio.com":
            return _super_send(s, r, **kw)
        return super()._request_handler(s, r, **kw)

    # -- the fake Twilio -----------------------------------------------------

    def path(self):
        return f"/callcenter/webhook/{self.twilio.webhook_token}"

    def leg(self, sid, status, seq, at, parent=None, **fields):
        """Status callback parameters of one leg, as Twilio posts them."""
        params = {
            "AccountSid": ACCOUNT,
            "ApiVersion": "2010-04-01",
            "CallSid": sid,
            "CallStatus": status,
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(seq),
            "Timestamp": format_datetime(at.replace(tzinfo=timezone.utc)),
        }
        if parent:
            params["ParentCallSid"] = parent
            params["Direction"] = "outbound-dial"
        params.update(fields)
        params.setdefault("Caller", params.get("From", ""))
        params.setdefault("Called", params.get("To", ""))
        return params

    def post(self, params, token=TOKEN, url=None, headers=None):
        url = url or self.base_url() + self.path()
        body = urlencode(params).encode()
        all_headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "X-Twilio-Signature": twilio_signature(token, url, params),
            "User-Agent": "TwilioProxy/1.1",
        }
        all_headers.update(headers or {})
        return self.url_open(self.path(), data=body, headers=all_headers, timeout=30)

    def post_all(self, legs):
        for params in legs:
            response = self.post(params)
            self.assertEqual(response.status_code, 200, response.text)
            self.assertIn("<Response/>", response.text)

    def inbound_answered(self, parent, agent="client:agent101", start=BASE_TIME):
        child = new_sid()
        customer = {"From": CUSTOMER, "To": agent}
        return [
            self.leg(child, "initiated", 0, start, parent, **customer),
            self.leg(
                child, "ringing", 1, start + timedelta(seconds=1), parent, **customer
            ),
            self.leg(
                child,
                "in-progress",
                2,
                start + timedelta(seconds=10),
                parent,
                **customer,
            ),
            self.leg(
                child,
                "completed",
                3,
                start + timedelta(seconds=90),
                parent,
                CallDuration="80",
                **customer,
            ),
            self.leg(
                parent,
                "completed",
                0,
                start + timedelta(seconds=91),
                Direction="inbound",
                From=CUSTOMER,
                To=CALLER_ID,
                CallDuration="93",
            ),
        ]

    def get_twilio_call(self, sid):
        return self.get_call(sid, provider=self.twilio)

    def counts(self):
        return (
            self.env["crm.callcenter.event"].search_count([]),
            self.env["crm.callcenter.call"].search_count([]),
        )

    # -- inbound -------------------------------------------------------------

    def test_inbound_answered_by_the_agent_leg(self):
        parent = new_sid()
        self.post_all(self.inbound_answered(parent))
        call = self.get_twilio_call(parent)
        self.assertEqual(len(call), 1)
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "inbound",
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "extension": "agent101",
                    "partner_id": self.partner.id,
                    "from_number": CUSTOMER,
                    "to_number": CALLER_ID,
                    "did": CALLER_ID,
                    "started_at": BASE_TIME,
                    "answered_at": BASE_TIME + timedelta(seconds=10),
                    "ended_at": BASE_TIME + timedelta(seconds=91),
                    "billsec": 81,
                    "duration": 91,
                    "is_missed": False,
                }
            ],
        )
        self.assertEqual(len(call.event_ids), 5)

    def test_inbound_missed_while_the_agent_rings(self):
        parent, child = new_sid(), new_sid()
        customer = {"From": CUSTOMER, "To": "sip:102@cc.sip.twilio.com;transport=tls"}
        at = BASE_TIME
        self.post_all(
            [
                self.leg(child, "initiated", 0, at, parent, **customer),
                self.leg(
                    child, "ringing", 1, at + timedelta(seconds=1), parent, **customer
                ),
                self.leg(
                    child,
                    "no-answer",
                    2,
                    at + timedelta(seconds=31),
                    parent,
                    **customer,
                ),
                # Twilio answered the parent itself (TwiML): CallDuration > 0.
                self.leg(
                    parent,
                    "completed",
                    0,
                    at + timedelta(seconds=32),
                    Direction="inbound",
                    From=CUSTOMER,
                    To=CALLER_ID,
                    CallDuration="32",
                ),
            ]
        )
        call = self.get_twilio_call(parent)
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    "is_abandoned": True,
                    "billsec": 0,
                    "answered_at": False,
                    # The SIP user of the leg that rang maps to its agent.
                    "user_id": self.agent_b.id,
                    "extension": "102",
                }
            ],
        )

    def test_answered_by_twiml_only_is_missed(self):
        """The parent leg in-progress is the IVR answering, not an agent."""
        parent = new_sid()
        caller = {"Direction": "inbound", "From": CUSTOMER, "To": CALLER_ID}
        self.post_all(
            [
                self.leg(parent, "ringing", 0, BASE_TIME, **caller),
                self.leg(
                    parent, "in-progress", 1, BASE_TIME + timedelta(seconds=1), **caller
                ),
                self.leg(
                    parent,
                    "completed",
                    2,
                    BASE_TIME + timedelta(seconds=46),
                    CallDuration="45",
                    **caller,
                ),
            ]
        )
        call = self.get_twilio_call(parent)
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    "billsec": 0,
                    "duration": 46,
                    "answered_at": False,
                    "user_id": False,
                }
            ],
        )

    def test_caller_hanging_up_before_twilio_answers_is_cancelled(self):
        parent = new_sid()
        caller = {"Direction": "inbound", "From": CUSTOMER, "To": CALLER_ID}
        self.post_all(
            [
                self.leg(parent, "ringing", 0, BASE_TIME, **caller),
                self.leg(
                    parent, "canceled", 1, BASE_TIME + timedelta(seconds=5), **caller
                ),
            ]
        )
        call = self.get_twilio_call(parent)
        self.assertEqual(call.outcome, "cancelled")
        self.assertTrue(call.is_abandoned)
        self.assertEqual(call.hangup_cause, "canceled")

    def test_transfer_to_another_agent(self):
        parent, second = new_sid(), new_sid()
        legs = self.inbound_answered(parent)
        parent_end = legs.pop()
        at = BASE_TIME + timedelta(seconds=95)
        to_b = {"From": CUSTOMER, "To": "sip:102@cc.sip.twilio.com"}
        legs += [
            self.leg(second, "initiated", 0, at, parent, **to_b),
            self.leg(
                second, "in-progress", 1, at + timedelta(seconds=4), parent, **to_b
            ),
            self.leg(
                second, "completed", 2, at + timedelta(seconds=64), parent, **to_b
            ),
        ]
        parent_end["Timestamp"] = format_datetime(
            (at + timedelta(seconds=65)).replace(tzinfo=timezone.utc)
        )
        legs.append(parent_end)
        self.post_all(legs[:4])
        call = self.get_twilio_call(parent)
        self.assertEqual(call.user_id, self.agent)
        self.post_all(legs[4:])
        call.invalidate_recordset()
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent_b.id,
                    "extension": "102",
                    "answered_at": BASE_TIME + timedelta(seconds=10),
                    "ended_at": at + timedelta(seconds=65),
                }
            ],
        )

    def test_recording_callback_after_the_end(self):
        parent = new_sid()
        self.post_all(self.inbound_answered(parent))
        call = self.get_twilio_call(parent)
        recording = {
            "AccountSid": ACCOUNT,
            "CallSid": parent,
            "RecordingSid": "RE557ce644e5ab84fa21cc21112e22c485",
            "RecordingUrl": (
                f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}"
                "/Recordings/RE557ce644e5ab84fa21cc21112e22c485"
            ),
            "RecordingDuration": "79",
            "RecordingChannels": "1",
            "RecordingSource": "DialVerb",
        }
        # A recording still in progress changes nothing.
        self.post_all([{**recording, "RecordingStatus": "in-progress"}])
        call.invalidate_recordset()
        self.assertFalse(call.recording_url)
        self.post_all([{**recording, "RecordingStatus": "completed"}])
        call.invalidate_recordset()
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "billsec": 81,
                    "recording_id": "RE557ce644e5ab84fa21cc21112e22c485",
                    "recording_url": recording["RecordingUrl"],
                }
            ],
        )
        self.assertEqual(self.get_call(parent, provider=self.twilio), call)

    def test_duplicates_and_reordering_give_the_same_call(self):
        parent = new_sid()
        legs = self.inbound_answered(parent)
        shuffled = legs[:]
        random.Random(4).shuffle(shuffled)
        # The end first, then the rest out of order, twice each.
        shuffled.remove(legs[-1])
        order = [legs[-1], *shuffled, legs[2], legs[0], legs[-1]]
        before = self.counts()
        self.post_all(order)
        after = self.counts()
        self.assertEqual(after[0] - before[0], 5, "each distinct message stored once")
        self.assertEqual(after[1] - before[1], 1)
        call = self.get_twilio_call(parent)
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "started_at": BASE_TIME,
                    "answered_at": BASE_TIME + timedelta(seconds=10),
                    "ended_at": BASE_TIME + timedelta(seconds=91),
                    "billsec": 81,
                }
            ],
        )

    def test_bad_signatures_are_refused_and_store_nothing(self):
        parent = new_sid()
        good = self.leg(
            parent,
            "ringing",
            0,
            BASE_TIME,
            Direction="inbound",
            From=CUSTOMER,
            To=CALLER_ID,
        )
        before = self.counts()
        url = self.base_url() + self.path()
        cases = {
            "wrong token": self.post(good, token="f" * 32),
            "no signature": self.post(good, headers={"X-Twilio-Signature": ""}),
            "other URL": self.post(good, url=url + "?company=2"),
            "public URL not configured": self.post(
                good, url="https://odoo.example.com" + self.path()
            ),
        }
        # Tampered after signing: the signature covers every parameter.
        body = urlencode({**good, "From": "+84900000000"}).encode()
        cases["tampered"] = self.url_open(
            self.path(),
            data=body,
            headers={"X-Twilio-Signature": twilio_signature(TOKEN, url, good)},
        )
        for reason, response in cases.items():
            with self.subTest(reason=reason):
                self.assertEqual(response.status_code, 401, response.text)
        self.assertEqual(self.counts(), before)
        self.twilio.invalidate_recordset(["rejected_count"])
        self.assertEqual(self.twilio.rejected_count, len(cases))

    def test_public_base_url_for_a_proxy_without_proxy_mode(self):
        self.twilio.twilio_public_base_url = "https://odoo.example.com"
        public = "https://odoo.example.com" + self.path()
        self.assertEqual(self.twilio.twilio_webhook_url, public)
        parent = new_sid()
        ringing = self.leg(
            parent,
            "ringing",
            0,
            BASE_TIME,
            Direction="inbound",
            From=CUSTOMER,
            To=CALLER_ID,
        )
        self.assertEqual(self.post(ringing).status_code, 401)
        self.assertEqual(self.post(ringing, url=public).status_code, 200)
        self.assertEqual(self.get_twilio_call(parent).state, "ringing")

    def test_charset_cyrillic_caller_name_and_encoded_values(self):
        parent = new_sid()
        params = self.leg(
            parent,
            "ringing",
            0,
            BASE_TIME,
            Direction="inbound",
            From=CUSTOMER,
            To=CALLER_ID,
            CallerName="Иван Петров-Сидоров",
            FromCity="Hồ Chí Minh",
        )
        # Twilio percent-encodes UTF-8 and writes spaces as "+".
        self.assertIn(
            b"CallerName=%D0%98%D0%B2%D0%B0%D0%BD+", urlencode(params).encode()
        )
        self.post_all([params])
        call = self.get_twilio_call(parent)
        self.assertEqual(call.caller_name, "Иван Петров-Сидоров")
        self.assertEqual(call.from_number, CUSTOMER)
        self.assertEqual(call.partner_id, self.partner)

    def test_sample_request_is_accepted_and_creates_no_call(self):
        adapter = self.twilio._get_adapter()
        url = self.base_url() + self.path()
        body, headers = adapter.sample_request(
            self.twilio._get_adapter_config(), url, 1_800_000_000
        )
        before = self.counts()
        response = self.url_open(self.path(), data=body, headers=headers)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.counts()[1], before[1], "no call created")
        event = self.env["crm.callcenter.event"].search(
            [("provider_id", "=", self.twilio.id)]
        )
        self.assertEqual(event.state, "ignored")

    # -- click-to-call ---------------------------------------------------------

    def originate(self, number=CUSTOMER, **mock):
        config = self.twilio._get_adapter_config()
        with responses.RequestsMock() as fake:
            fake.add(responses.POST, CALLS_URL, **mock)
            try:
                return self.twilio._get_adapter().originate(
                    config, "agent101", number, "odoo-c2c-1"
                ), fake.calls[0].request
            except OriginateError as exc:
                return exc, fake.calls[0].request

    def click_row(self, result):
        """The call row the click creates (the click-to-call action's job)."""
        return (
            self.env["crm.callcenter.call"]
            .sudo()
            .create(
                {
                    "provider_id": self.twilio.id,
                    "company_id": self.twilio.company_id.id,
                    "external_call_id": result.external_call_id,
                    "correlation_id": result.correlation_id,
                    "direction": "outbound",
                    "state": "ringing",
                    "user_id": self.agent.id,
                    "extension": "agent101",
                    "to_number": CUSTOMER,
                    "started_at": BASE_TIME,
                }
            )
        )

    def test_click_to_call_request_and_its_events_on_the_same_call(self):
        sid = new_sid()
        result, request = self.originate(
            status=201,
            json={"sid": sid, "status": "queued", "direction": "outbound-api"},
        )
        self.assertEqual(result.external_call_id, sid)
        self.assertEqual(
            request.headers["Authorization"],
            "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode(),
        )
        form = parse_qs(request.body)
        callback = self.twilio.twilio_webhook_url
        self.assertEqual(form["To"], ["client:agent101"])
        self.assertEqual(form["From"], [CALLER_ID])
        self.assertEqual(form["StatusCallback"], [callback])
        self.assertEqual(
            form["StatusCallbackEvent"],
            ["initiated", "ringing", "answered", "completed"],
        )
        self.assertEqual(
            form["Twiml"],
            [
                f'<Response><Dial callerId="{CALLER_ID}"><Number statusCallback="'
                f'{callback}" statusCallbackEvent="initiated ringing answered '
                f'completed">{CUSTOMER}</Number></Dial></Response>'
            ],
        )

        call = self.click_row(result)
        child = new_sid()
        agent_leg = {
            "Direction": "outbound-api",
            "From": CALLER_ID,
            "To": "client:agent101",
        }
        customer_leg = {"From": CALLER_ID, "To": CUSTOMER}
        at = BASE_TIME
        self.post_all(
            [
                self.leg(sid, "initiated", 0, at, **agent_leg),
                self.leg(sid, "ringing", 1, at + timedelta(seconds=1), **agent_leg),
                # The agent picks up their own phone: not the call answered.
                self.leg(sid, "in-progress", 2, at + timedelta(seconds=4), **agent_leg),
                self.leg(
                    child,
                    "initiated",
                    0,
                    at + timedelta(seconds=5),
                    sid,
                    **customer_leg,
                ),
                self.leg(
                    child, "ringing", 1, at + timedelta(seconds=6), sid, **customer_leg
                ),
            ]
        )
        call.invalidate_recordset()
        self.assertEqual(call.state, "ringing")
        self.post_all(
            [
                self.leg(
                    child,
                    "in-progress",
                    2,
                    at + timedelta(seconds=15),
                    sid,
                    **customer_leg,
                ),
                self.leg(
                    child,
                    "completed",
                    3,
                    at + timedelta(seconds=75),
                    sid,
                    CallDuration="60",
                    **customer_leg,
                ),
                self.leg(
                    sid,
                    "completed",
                    3,
                    at + timedelta(seconds=76),
                    CallDuration="72",
                    **agent_leg,
                ),
            ]
        )
        self.assertEqual(self.get_twilio_call(sid), call, "no second call row")
        call.invalidate_recordset()
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "outbound",
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "extension": "agent101",
                    "partner_id": self.partner.id,
                    "answered_at": at + timedelta(seconds=15),
                    "billsec": 61,
                }
            ],
        )

    def test_click_to_call_agent_not_answering(self):
        sid = new_sid()
        result, _request = self.originate(status=201, json={"sid": sid})
        call = self.click_row(result)
        agent_leg = {
            "Direction": "outbound-api",
            "From": CALLER_ID,
            "To": "client:agent101",
        }
        self.post_all(
            [
                self.leg(sid, "initiated", 0, BASE_TIME, **agent_leg),
                self.leg(
                    sid, "ringing", 1, BASE_TIME + timedelta(seconds=1), **agent_leg
                ),
                self.leg(
                    sid, "no-answer", 2, BASE_TIME + timedelta(seconds=31), **agent_leg
                ),
            ]
        )
        call.invalidate_recordset()
        self.assertEqual(call.state, "ended")
        self.assertEqual(call.outcome, "no_answer")
        self.assertFalse(call.is_missed, "an outbound call is never a missed call")

    def test_click_to_call_errors_are_readable(self):
        refused, _request = self.originate(
            status=400,
            json={
                "code": 21211,
                "message": "The 'To' number +8490 is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": 400,
            },
        )
        self.assertIsInstance(refused, OriginateError)
        self.assertIn("not a valid phone number", str(refused))
        self.assertIn("400", str(refused))
        self.assertNotIn(TOKEN, str(refused))
        down, _request = self.originate(status=503, body="upstream down")
        self.assertIsInstance(down, OriginateError)
        self.assertIn("503", str(down))
        slow, _request = self.originate(body=requests.Timeout("read timed out"))
        self.assertIsInstance(slow, OriginateError)
        self.assertIn("10", str(slow), "the timeout in seconds")
        refused_conn, _request = self.originate(
            body=requests.ConnectionError("refused")
        )
        self.assertIsInstance(refused_conn, OriginateError)
        no_sid, _request = self.originate(status=201, json={"status": "queued"})
        self.assertIsInstance(no_sid, OriginateError)

    def test_click_to_call_needs_credentials_and_a_timeout(self):
        config = self.twilio._get_adapter_config()
        adapter = self.twilio._get_adapter()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
            fake.add(responses.POST, CALLS_URL, status=201, json={"sid": new_sid()})
            with self.assertRaises(OriginateError):
                adapter.originate(
                    {**config, "twilio_caller_id": ""}, "agent101", CUSTOMER, "x"
                )
            self.assertEqual(len(fake.calls), 0, "nothing sent without a caller id")
        self.twilio.request_timeout = 3
        sip = {
            **self.twilio._get_adapter_config(),
            "twilio_agent_endpoint": "sip:{extension}@cc.sip.twilio.com",
        }
        self.assertEqual(sip["timeout"], 3)
        with responses.RequestsMock() as fake:
            fake.add(responses.POST, CALLS_URL, status=201, json={"sid": "CAsip"})
            adapter.originate(sip, "102", CUSTOMER, "x")
            self.assertEqual(
                parse_qs(fake.calls[0].request.body)["To"],
                ["sip:102@cc.sip.twilio.com"],
            )
            self.assertEqual(fake.calls[0].request.req_kwargs["timeout"], 3)
