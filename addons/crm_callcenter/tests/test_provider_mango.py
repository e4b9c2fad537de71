"""Mango Office: signed form webhooks posted to Odoo over real HTTP, the
callback command faked at the transport with ``responses``."""

import json
import urllib.parse
from datetime import datetime, timedelta, timezone

import requests
import responses

from odoo.tests import HttpCase, tagged
from odoo.tests.common import BaseCase

from ..tools.providers import OriginateError, get_adapter
from ..tools.providers.mango import mango_sign
from ..tools.signature import SignatureError
from .common import FakedApiMixin, make_center

# PROTOCOLS.md §11, vectors 8 and 9.
KEY = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6"
SALT = "s1a2l3t4s5a6l7t8s9a0l1t2s3a4l5t6"
VECTOR_8_JSON = (
    '{"entry_id":"MjU2OTQ4NDcyNzU6MTM1","call_id":"MToxMDA1NzU5Mzo1MDI6NjI1ODM4MzQ=",'
    '"timestamp":1715670903,"seq":1,"call_state":"Appeared","location":"abonent",'
    '"from":{"number":"79161234567"},"to":{"extension":"101",'
    '"number":"sip:user101@vpbx400012345.mangosip.ru","line_number":"74951234567",'
    '"acd_group":"200"},"dct":{"type":0}}'
)
VECTOR_8_SIGN = "99201792dddb18eb4a8096247b5f20a6d75169f726ce0c87df2bc768eff6d983"
VECTOR_9_JSON = (
    '{"command_id":"odoo-8f2c","from":{"extension":"101"},'
    '"to_number":"79161234567","line_number":"74951234567"}'
)
VECTOR_9_SIGN = "e1283694c80c7895cc275f76a7f565bb7700fd6499326756c201f44bfb2874ba"

CONFIG = {
    "mango_api_key": KEY,
    "mango_api_salt": SALT,
    "mango_api_url": "https://app.mango-office.ru/vpbx/",
    "mango_line_number": "74951234567",
    "timeout": 7,
}
CALLBACK_URL = "https://app.mango-office.ru/vpbx/commands/callback"
LINE = "74951234567"
CUSTOMER = "79161234567"
START = datetime(2026, 3, 2, 9, 0, 0)  # naive UTC
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def unix(moment):
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


class FakeMango:
    """Signs realtime events the way Mango's API connector does."""

    def __init__(self, key=KEY, salt=SALT):
        self.key = key
        self.salt = salt

    def body(self, doc, key=None, salt=None, ensure_ascii=False):
        json_text = json.dumps(doc, separators=(",", ":"), ensure_ascii=ensure_ascii)
        key = self.key if key is None else key
        sign = mango_sign(key, json_text, self.salt if salt is None else salt)
        return urllib.parse.urlencode(
            {"vpbx_api_key": key, "sign": sign, "json": json_text}
        ).encode()

    @staticmethod
    def call(
        entry, leg, seq, state, at, location="abonent", src=None, dst=None, **extra
    ):
        return (
            "events/call",
            {
                "entry_id": entry,
                "call_id": leg,
                "timestamp": unix(at),
                "seq": seq,
                "call_state": state,
                "location": location,
                "from": src or {"number": CUSTOMER},
                "to": dst or {"line_number": LINE},
                **extra,
            },
        )

    @staticmethod
    def agent(extension, **extra):
        return {
            "extension": extension,
            "number": f"sip:user{extension}@vpbx400012345.mangosip.ru",
            "line_number": LINE,
            **extra,
        }

    @staticmethod
    def summary(entry, direction, create, talk, end, result, src=None, dst=None):
        return (
            "events/summary",
            {
                "entry_id": entry,
                "call_direction": direction,
                "from": src or {"number": CUSTOMER},
                "to": dst or {},
                "line_number": LINE,
                "create_time": unix(create),
                "forward_time": unix(create) + 2 if talk else 0,
                "talk_time": unix(talk) if talk else 0,
                "end_time": unix(end),
                "entry_result": result,
                "disconnect_reason": 1110,
            },
        )

    @staticmethod
    def recording(entry, leg, state, at, seq):
        return (
            "events/recording",
            {
                "recording_id": f"rec-{entry}",
                "recording_state": state,
                "seq": seq,
                "entry_id": entry,
                "call_id": leg,
                "extension": "101",
                "timestamp": unix(at),
                "completion_code": 1000,
                "recipient": "Cloud",
            },
        )

    @staticmethod
    def record_added(entry, at):
        return (
            "events/record/added",
            {
                "entry_id": entry,
                "product_id": 400012345,
                "user_id": 77,
                "recording_id": f"rec-{entry}",
                "timestamp": unix(at),
            },
        )

    def answered_inbound(self, entry):
        """IVR 10 s, agent 101 rings 5 s and talks 60 s, recorded."""
        ivr, leg = f"{entry}-ivr", f"{entry}-101"
        t = START
        return [
            self.call(entry, ivr, 1, "Appeared", t, "ivr"),
            self.call(entry, ivr, 2, "Connected", t + timedelta(seconds=1), "ivr"),
            self.call(
                entry,
                leg,
                1,
                "Appeared",
                t + timedelta(seconds=10),
                src={"number": CUSTOMER, "taken_from_call_id": ivr},
                dst=self.agent("101", acd_group="200"),
            ),
            self.call(entry, ivr, 3, "Disconnected", t + timedelta(seconds=10), "ivr"),
            self.call(
                entry,
                leg,
                2,
                "Connected",
                t + timedelta(seconds=15),
                src={"number": CUSTOMER, "taken_from_call_id": ivr},
                dst=self.agent("101", acd_group="200"),
            ),
            self.recording(entry, leg, "Started", t + timedelta(seconds=15), 1),
            self.call(
                entry,
                leg,
                3,
                "Disconnected",
                t + timedelta(seconds=75),
                src={"number": CUSTOMER},
                dst=self.agent("101"),
                disconnect_reason=1110,
            ),
            self.summary(
                entry,
                1,
                t,
                t + timedelta(seconds=15),
                t + timedelta(seconds=75),
                1,
                dst={"extension": "101"},
            ),
            self.recording(entry, leg, "Completed", t + timedelta(seconds=75), 2),
            self.record_added(entry, t + timedelta(seconds=80)),
        ]


class TestMangoSignature(BaseCase):
    def setUp(self):
        super().setUp()
        self.adapter = get_adapter("mango")

    def test_vector_8_event_sign(self):
        self.assertEqual(mango_sign(KEY, VECTOR_8_JSON, SALT), VECTOR_8_SIGN)
        body = urllib.parse.urlencode(
            {"vpbx_api_key": KEY, "sign": VECTOR_8_SIGN, "json": VECTOR_8_JSON}
        ).encode()
        self.adapter.verify(CONFIG, {}, body, "https://odoo.example.com", 0)
        (event,) = self.adapter.parse(body)
        self.assertEqual(event.external_call_id, "MjU2OTQ4NDcyNzU6MTM1")
        self.assertEqual(event.leg_id, "MToxMDA1NzU5Mzo1MDI6NjI1ODM4MzQ=")
        self.assertEqual((event.state, event.agent_extension), ("ringing", "101"))
        self.assertEqual((event.from_number, event.did), ("79161234567", LINE))

    def test_vector_9_callback_command(self):
        url, body = self.adapter.callback_request(
            {**CONFIG, "mango_line_number": "+74951234567"},
            "101",
            "+79161234567",
            "odoo-8f2c",
        )
        self.assertEqual(url, CALLBACK_URL)
        form = dict(urllib.parse.parse_qsl(body))
        self.assertEqual(form["json"], VECTOR_9_JSON)
        self.assertEqual(form["sign"], VECTOR_9_SIGN)
        self.assertEqual(form["vpbx_api_key"], KEY)

    def test_refusals(self):
        good = {"vpbx_api_key": KEY, "sign": VECTOR_8_SIGN, "json": VECTOR_8_JSON}
        cases = {
            "other salt": ({**CONFIG, "mango_api_salt": "other"}, good),
            "other key": (CONFIG, {**good, "vpbx_api_key": "b" * 32}),
            "json changed": (CONFIG, {**good, "json": VECTOR_8_JSON + " "}),
            "no sign": (CONFIG, {"vpbx_api_key": KEY, "json": VECTOR_8_JSON}),
            "not configured": ({"timeout": 7}, good),
        }
        for name, (config, form) in cases.items():
            body = urllib.parse.urlencode(form).encode()
            with self.subTest(name), self.assertRaises(SignatureError):
                self.adapter.verify(config, {}, body, "https://odoo.example.com", 0)

    def test_kind_without_path_is_told_from_the_fields(self):
        fake = FakeMango()
        for path, doc in fake.answered_inbound("kind"):
            with self.subTest(path=path, state=doc.get("recording_state")):
                bare = self.adapter.parse(fake.body(doc))
                routed = self.adapter.parse(
                    self.adapter.stored_body(fake.body(doc), path)
                )
                self.assertEqual(bare, routed)

    def test_numbers_as_strings_and_unknown_paths(self):
        # Mango's own examples send seq and timestamp as strings.
        _path, doc = FakeMango.call("e-str", "l-str", 1, "Appeared", START)
        doc.update(seq="3", timestamp=str(unix(START)))
        (event,) = self.adapter.parse(FakeMango().body(doc))
        self.assertEqual((event.sequence, event.event_time), (3, START))
        dtmf = self.adapter.stored_body(FakeMango().body({"dtmf": "1"}), "events/dtmf")
        self.assertEqual(self.adapter.parse(dtmf), [])
        self.assertIsNone(self.adapter.stored_body(b"", "admin/login"))


@tagged("post_install", "-at_install")
class TestMangoProvider(FakedApiMixin, HttpCase):
    faked_api_hosts = ("app.mango-office.ru",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ru = cls.env.ref("base.ru")
        cls.provider, cls.agent, cls.agent_b, cls.partner = make_center(
            cls.env,
            {
                "name": "Mango",
                "code": "mango",
                "default_country_id": cls.ru.id,
                "mango_api_key": KEY,
                "mango_api_salt": SALT,
                "mango_line_number": LINE,
            },
            ("mango_agent_a", "Анна Агент"),
            ("mango_agent_b", "Борис Агент"),
            {
                "name": "Иван Петров",
                "phone": "8 (916) 123-45-67",
                "country_id": cls.ru.id,
            },
        )
        cls.mango = FakeMango()

    def post(self, message, body=None, suffix=None):
        path, doc = message
        body = body if body is not None else self.mango.body(doc)
        suffix = path if suffix is None else suffix
        url = f"/callcenter/webhook/{self.provider.webhook_token}"
        if suffix:
            url += f"/{suffix}"
        self.env.flush_all()
        response = self.url_open(
            url, data=body, headers=FORM, timeout=30, method="POST"
        )
        # The request changed rows behind this environment's cache.
        self.env.invalidate_all()
        return response

    def post_all(self, messages):
        for message in messages:
            response = self.post(message)
            self.assertEqual(response.status_code, 200, response.text)

    def get_call(self, entry):
        return self.env["crm.callcenter.call"].search(
            [("provider_id", "=", self.provider.id), ("external_call_id", "=", entry)]
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

    def test_answered_inbound_call(self):
        self.post_all(self.mango.answered_inbound("in-1"))
        call = self.get_call("in-1")
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "inbound",
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "extension": "101",
                    "partner_id": self.partner.id,
                    "from_number": "+79161234567",
                    "did": LINE,
                    "queue": "200",
                    "started_at": START,
                    "answered_at": START + timedelta(seconds=15),
                    "ended_at": START + timedelta(seconds=75),
                    "duration": 75,
                    # The agent's 60 s, not the 75 s since the IVR answered.
                    "billsec": 60,
                    "hangup_cause": "1110",
                    "recording_id": "rec-in-1",
                    "is_missed": False,
                }
            ],
        )
        events = call.event_ids
        self.assertEqual(len(events), 9, "the recording start changes no call")
        self.assertEqual(set(events.mapped("state")), {"done"})
        started = self.env["crm.callcenter.event"].search(
            [("provider_id", "=", self.provider.id), ("state", "=", "ignored")]
        )
        self.assertEqual(len(started), 1)
        # A stored request parses alone, path included (the retry cron).
        adapter = self.provider._get_adapter()
        added = events.filtered(
            lambda e: "odoo_path=events%2Frecord%2Fadded" in e.payload
        )
        (event,) = adapter.parse(added.payload.encode())
        self.assertEqual(
            (event.event, event.recording_id), ("record_added", "rec-in-1")
        )

    def test_ivr_connected_is_not_an_answer(self):
        entry, ivr = "in-ivr-state", "in-ivr-state-ivr"
        self.post_all(
            [
                self.mango.call(entry, ivr, 1, "Appeared", START, "ivr"),
                self.mango.call(
                    entry, ivr, 2, "Connected", START + timedelta(seconds=1), "ivr"
                ),
            ]
        )
        call = self.get_call(entry)
        self.assertEqual(call.state, "ringing")
        self.assertFalse(call.answered_at)

    def test_missed_inbound_call(self):
        entry, leg = "in-missed", "in-missed-101"
        self.post_all(
            [
                self.mango.call(entry, f"{entry}-q", 1, "Appeared", START, "queue"),
                self.mango.call(
                    entry,
                    leg,
                    1,
                    "Appeared",
                    START + timedelta(seconds=2),
                    dst=self.mango.agent("101"),
                ),
                self.mango.call(
                    entry,
                    leg,
                    2,
                    "Disconnected",
                    START + timedelta(seconds=32),
                    dst=self.mango.agent("101"),
                    disconnect_reason=1120,
                ),
                self.mango.summary(
                    entry,
                    1,
                    START,
                    None,
                    START + timedelta(seconds=32),
                    0,
                    dst={"extension": "101"},
                ),
            ]
        )
        self.assertRecordValues(
            self.get_call(entry),
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    "answered_at": False,
                    "billsec": 0,
                    "duration": 32,
                    "partner_id": self.partner.id,
                    # The agent it rang keeps the call (for the call-back).
                    "user_id": self.agent.id,
                }
            ],
        )

    def test_ivr_answered_but_missed(self):
        entry, ivr = "in-ivr", "in-ivr-leg"
        self.post_all(
            [
                self.mango.call(entry, ivr, 1, "Appeared", START, "ivr"),
                self.mango.call(
                    entry, ivr, 2, "Connected", START + timedelta(seconds=1), "ivr"
                ),
                self.mango.call(
                    entry, ivr, 3, "Connected", START + timedelta(seconds=20), "queue"
                ),
                self.mango.call(
                    entry,
                    ivr,
                    4,
                    "Disconnected",
                    START + timedelta(seconds=90),
                    "queue",
                    disconnect_reason=1110,
                ),
                self.mango.summary(
                    entry, 1, START, None, START + timedelta(seconds=90), 0
                ),
            ]
        )
        self.assertRecordValues(
            self.get_call(entry),
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    "billsec": 0,
                    "duration": 90,
                    "user_id": False,
                }
            ],
        )

    def test_transfer_to_another_agent(self):
        """Consultative transfer, as in Mango's own example: 101 answers,
        consults 102 (an internal leg), then 102 takes the customer."""
        entry, leg_a, leg_b = "in-transfer", "200:514", "202:515"
        customer = {"number": CUSTOMER}
        self.post_all(
            [
                self.mango.call(
                    entry, leg_a, 1, "Appeared", START, dst=self.mango.agent("101")
                ),
                self.mango.call(
                    entry,
                    leg_a,
                    2,
                    "Connected",
                    START + timedelta(seconds=7),
                    dst=self.mango.agent("101"),
                ),
                self.mango.call(
                    entry,
                    leg_a,
                    3,
                    "OnHold",
                    START + timedelta(seconds=17),
                    dst=self.mango.agent("101"),
                ),
                self.mango.call(
                    entry,
                    leg_b,
                    1,
                    "Appeared",
                    START + timedelta(seconds=27),
                    src={"extension": "101", "taken_from_call_id": leg_a},
                    dst=self.mango.agent("102"),
                ),
                self.mango.call(
                    entry,
                    leg_b,
                    2,
                    "Connected",
                    START + timedelta(seconds=30),
                    src={"extension": "101", "taken_from_call_id": leg_a},
                    dst=self.mango.agent("102"),
                ),
            ]
        )
        call = self.get_call(entry)
        self.assertEqual(
            call.user_id, self.agent, "102 answering 101's consultation takes nothing"
        )
        self.post_all(
            [
                self.mango.call(
                    entry,
                    leg_a,
                    4,
                    "Disconnected",
                    START + timedelta(seconds=40),
                    dst=self.mango.agent("101"),
                    disconnect_reason=1120,
                ),
                self.mango.call(
                    entry,
                    leg_b,
                    3,
                    "Connected",
                    START + timedelta(seconds=40),
                    src={**customer, "taken_from_call_id": leg_a},
                    dst=self.mango.agent("102"),
                ),
                self.mango.call(
                    entry,
                    leg_b,
                    4,
                    "Disconnected",
                    START + timedelta(seconds=100),
                    src={**customer, "taken_from_call_id": leg_a},
                    dst=self.mango.agent("102"),
                    disconnect_reason=1110,
                ),
                self.mango.summary(
                    entry,
                    1,
                    START,
                    START + timedelta(seconds=7),
                    START + timedelta(seconds=100),
                    1,
                    dst={"extension": "102"},
                ),
            ]
        )
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent_b.id,
                    "extension": "102",
                    "answered_at": START + timedelta(seconds=7),
                    "billsec": 93,
                }
            ],
        )

    def test_recording_after_the_end(self):
        messages = self.mango.answered_inbound("in-rec")
        before_end = [m for m in messages if m[0] == "events/call"]
        self.post_all([*before_end, messages[7]])  # summary
        call = self.get_call("in-rec")
        self.assertEqual((call.state, call.recording_id), ("ended", False))
        self.post_all([messages[9]])  # record/added, after the end
        self.assertEqual(call.recording_id, "rec-in-rec")
        self.assertEqual(
            (call.state, call.outcome, call.billsec), ("ended", "answered", 60)
        )

    def test_duplicates_and_out_of_order(self):
        messages = self.mango.answered_inbound("in-shuffled")
        # Summary first, the agent's Connected before its Appeared, the
        # IVR's Appeared last, everything twice.
        order = [7, 4, 9, 8, 6, 2, 3, 1, 5, 0]
        for index in order:
            self.post_all([messages[index], messages[index]])
        self.post_all(self.mango.answered_inbound("in-ordered"))
        shuffled, ordered = self.get_call("in-shuffled"), self.get_call("in-ordered")
        self.assertEqual(len(shuffled), 1)
        for fname in (
            "state",
            "outcome",
            "user_id",
            "partner_id",
            "started_at",
            "answered_at",
            "ended_at",
            "duration",
            "billsec",
            "is_missed",
        ):
            self.assertEqual(shuffled[fname], ordered[fname], fname)
        self.assertEqual(shuffled.recording_id, "rec-in-shuffled")
        self.assertEqual(len(shuffled.event_ids), 9, "duplicates are stored once")

    def test_outbound_click_to_call(self):
        adapter = self.provider._get_adapter()
        config = self.provider._get_adapter_config()
        with responses.RequestsMock() as rsps:
            rsps.add(responses.POST, CALLBACK_URL, json={"result": 1000})
            result = adapter.originate(config, "101", "+79161234567", "odoo-call-1")
            sent = dict(urllib.parse.parse_qsl(rsps.calls[0].request.body.decode()))
            self.assertEqual(rsps.calls[0].request.req_kwargs["timeout"], 10)
        self.assertEqual(result.correlation_id, "odoo-call-1")
        doc = json.loads(sent["json"])
        self.assertEqual(
            doc,
            {
                "command_id": "odoo-call-1",
                "from": {"extension": "101"},
                "to_number": "79161234567",
                "line_number": LINE,
            },
        )
        self.assertEqual(sent["sign"], mango_sign(KEY, sent["json"], SALT))
        # The row the click creates, before Mango names the call.
        click = self.env["crm.callcenter.call"].create(
            {
                "provider_id": self.provider.id,
                "company_id": self.provider.company_id.id,
                "external_call_id": "odoo-call-1",
                "correlation_id": "odoo-call-1",
                "direction": "outbound",
                "user_id": self.agent.id,
                "to_number": "+79161234567",
                "started_at": START,
            }
        )
        entry, emp, out = "out-1", "out-1-emp", "out-1-cust"
        callback = {"command_id": "odoo-call-1", "callback_initiator": "API"}
        self.post_all(
            [
                ("result/callback", {"command_id": "odoo-call-1", "result": 1000}),
                self.mango.call(
                    entry,
                    emp,
                    1,
                    "Appeared",
                    START + timedelta(seconds=1),
                    src={"number": CUSTOMER},
                    dst=self.mango.agent("101"),
                    **callback,
                ),
                self.mango.call(
                    entry,
                    emp,
                    2,
                    "Connected",
                    START + timedelta(seconds=4),
                    src={"number": CUSTOMER},
                    dst=self.mango.agent("101"),
                    **callback,
                ),
            ]
        )
        self.assertEqual(click.external_call_id, entry, "the click's row is adopted")
        self.assertEqual(
            click.state, "ringing", "the employee picking up is not the customer"
        )
        self.post_all(
            [
                self.mango.call(
                    entry,
                    out,
                    1,
                    "Connected",
                    START + timedelta(seconds=12),
                    src={"extension": "101", "number": LINE},
                    dst={"number": CUSTOMER},
                    **callback,
                ),
                self.mango.summary(
                    entry,
                    2,
                    START + timedelta(seconds=1),
                    START + timedelta(seconds=12),
                    START + timedelta(seconds=52),
                    1,
                    src={"extension": "101"},
                    dst={"number": CUSTOMER},
                ),
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
                    "answered_at": START + timedelta(seconds=12),
                    "billsec": 40,
                    "correlation_id": "odoo-call-1",
                }
            ],
        )

    def test_outbound_not_answered_and_refused(self):
        self.post_all(
            [
                self.mango.call(
                    "out-na",
                    "out-na-emp",
                    1,
                    "Connected",
                    START,
                    src={"number": CUSTOMER},
                    dst=self.mango.agent("101"),
                    callback_initiator="API",
                    command_id="odoo-call-2",
                ),
                self.mango.summary(
                    "out-na",
                    2,
                    START,
                    None,
                    START + timedelta(seconds=30),
                    0,
                    src={"extension": "101"},
                    dst={"number": CUSTOMER},
                ),
                # Mango refused a callback (billing): the call never started.
                ("result/callback", {"command_id": "odoo-call-3", "result": 2100}),
            ]
        )
        self.assertRecordValues(
            self.get_call("out-na"),
            [{"direction": "outbound", "outcome": "no_answer", "billsec": 0}],
        )
        self.assertRecordValues(
            self.get_call("odoo-call-3"),
            [{"state": "ended", "outcome": "failed", "hangup_cause": "result 2100"}],
        )

    def test_originate_errors(self):
        adapter = self.provider._get_adapter()
        config = self.provider._get_adapter_config()
        cases = [
            ({"status": 401, "json": {}}, "API key"),
            ({"status": 429, "json": {}}, "Too many"),
            ({"status": 502, "body": "bad gateway"}, "502"),
            ({"json": {"result": 2100}}, "2100"),
            ({"json": {"result": 3100}}, "3100"),
            ({"body": "<html>"}, "cannot be read"),
            ({"body": requests.Timeout()}, "in time"),
            ({"body": requests.ConnectionError()}, "cannot be reached"),
        ]
        for answer, message in cases:
            with self.subTest(message=message), responses.RequestsMock() as rsps:
                rsps.add(responses.POST, CALLBACK_URL, **answer)
                with self.assertRaisesRegex(OriginateError, message) as caught:
                    adapter.originate(config, "101", "+79161234567", "odoo-err")
                self.assertNotIn(SALT, str(caught.exception))
        with self.assertRaisesRegex(OriginateError, "not set"):
            adapter.originate(
                {**config, "mango_api_salt": ""}, "101", "+79161234567", "odoo-err"
            )

    def test_bad_signature_is_refused_and_stores_nothing(self):
        message = self.mango.call("bad-1", "bad-1-leg", 1, "Appeared", START, "ivr")
        doc = message[1]
        before = self.counts()
        tampered = self.mango.body(doc).replace(b"79161234567", b"79160000000")
        cases = [
            self.mango.body(doc, salt="wrong-salt"),
            self.mango.body(doc, key="wrong-key"),
            tampered,
            urllib.parse.urlencode({"vpbx_api_key": KEY, "json": "{}"}).encode(),
            b"",
        ]
        for body in cases:
            with self.subTest(body=body[:40]):
                response = self.post(message, body=body)
                self.assertEqual(response.status_code, 401, response.text)
        self.assertEqual(self.post(message, suffix="admin/x").status_code, 404)
        self.assertEqual(self.counts(), before)
        self.provider.invalidate_recordset(["rejected_count"])
        self.assertEqual(self.provider.rejected_count, len(cases))

    def test_charset_and_url_encoding(self):
        """Cyrillic in the JSON (raw UTF-8 or \\u escapes), spaces sent as
        '+' and a '+' sent as %2B: the signature is over the decoded text."""
        entry = "in-charset"
        _path, doc = self.mango.call(
            entry,
            f"{entry}-leg",
            1,
            "Appeared",
            START,
            src={"number": "+7 916 123-45-67"},
            dst=self.mango.agent("101", acd_group="Отдел продаж"),
        )
        raw = self.mango.body(doc)
        self.assertIn(b"%2B7+916+123-45-67", raw)
        self.assertIn(b"%D0%9E", raw, "Cyrillic sent as UTF-8")
        self.assertEqual(self.post(("events/call", doc), body=raw).status_code, 200)
        call = self.get_call(entry)
        self.assertEqual(call.queue, "Отдел продаж")
        self.assertEqual(call.partner_id, self.partner)
        self.assertEqual(call.partner_id.name, "Иван Петров")
        doc = {**doc, "seq": 2, "call_state": "Connected"}
        escaped = self.mango.body(doc, ensure_ascii=True)
        self.assertIn(b"%5Cu041e", escaped, "Cyrillic sent as \\u escapes")
        self.assertEqual(self.post(("events/call", doc), body=escaped).status_code, 200)
        self.assertEqual((call.state, call.queue), ("answered", "Отдел продаж"))

    def test_send_test_event_creates_no_call(self):
        adapter = self.provider._get_adapter()
        config = self.provider._get_adapter_config()
        body, headers = adapter.sample_request(
            config, self.provider.webhook_url, 1772442000
        )
        before = self.counts()
        response = self.url_open(
            f"/callcenter/webhook/{self.provider.webhook_token}",
            data=body,
            headers=headers,
            timeout=30,
        )
        self.assertEqual(response.status_code, 200, response.text)
        events, calls = self.counts()
        self.assertEqual((events, calls), (before[0] + 1, before[1]))
