"""Asterisk ARI adapter: channels folded into calls, click-to-call."""

import base64
import json
import random
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import requests
import responses

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from ..tools.providers import OriginateError, PayloadError, StreamError
from ..tools.providers.asterisk_ari import (
    MSG_AUTH,
    MSG_NO_EXTENSION,
    MSG_REJECTED,
    MSG_TIMEOUT,
    MSG_UNREACHABLE,
    AsteriskAriAdapter,
    parse_time,
    split_channel_name,
)
from .asterisk_ari_common import ARI_PASSWORD, ARI_USER, AriCase, FakeAsterisk
from .common import BASE_TIME

ORIGINATE_URL = "http://127.0.0.1:8088/ari/channels"


class TestAsteriskAriAdapter(AriCase):
    def setUp(self):
        super().setUp()
        self.adapter = self.ari._get_adapter()

    def receive(self, messages, provider=None):
        """What the listener does with each message of the stream."""
        provider = provider or self.ari
        Event = self.env["crm.callcenter.event"]
        stored = 0
        for message in messages:
            dedup_key, events = self.adapter.ws_parse(message)
            if dedup_key:
                Event._receive(provider, dedup_key, message, events)
                stored += 1
        return stored

    # -- the wire format ---------------------------------------------------------

    def test_helpers_read_asterisk_values(self):
        self.assertEqual(
            parse_time("2024-05-14T10:15:03.101+0300"),
            BASE_TIME.replace(2024, 5, 14, 7, 15, 3),
        )
        self.assertIsNone(parse_time("yesterday"))
        self.assertEqual(split_channel_name("PJSIP/101-0000011b"), ("PJSIP", "101"))
        self.assertEqual(
            split_channel_name("PJSIP/trunk-rt-0000011a"), ("PJSIP", "trunk-rt")
        )
        self.assertEqual(
            split_channel_name("Local/101@from-queue-00000012;2"),
            ("Local", "101@from-queue"),
        )

    def test_only_agent_answers_are_answers(self):
        """Message by message: ringing at the start, answered at the agent's
        Dial ANSWER only, ended when the customer's channel goes."""
        states = []
        for message in self.asterisk.answered_call():
            _key, events = self.adapter.ws_parse(message)
            doc = json.loads(message)
            states.append(
                (doc["type"], doc.get("dialstatus"), [e.state for e in events])
            )
        self.assertEqual(
            states,
            [
                ("ChannelCreated", None, ["ringing"]),
                ("ChannelDialplan", None, []),
                ("ChannelCreated", None, []),  # the agent's leg
                ("Dial", "", ["ringing"]),
                ("ChannelStateChange", None, []),
                ("Dial", "RINGING", ["ringing"]),
                ("ChannelStateChange", None, []),  # agent's leg Up
                ("Dial", "ANSWER", ["answered"]),
                ("ChannelStateChange", None, [None]),  # customer leg Up
                ("ChannelEnteredBridge", None, []),
                ("ChannelHangupRequest", None, []),
                ("ChannelDestroyed", None, []),
                ("ChannelHangupRequest", None, ["ended"]),
                ("ChannelDestroyed", None, ["ended"]),
            ],
        )
        _key, (answered,) = self.adapter.ws_parse(self.asterisk.answered_call()[7])
        self.assertEqual(answered.agent_extension, "101")
        self.assertEqual(answered.direction, "inbound")
        self.assertEqual(answered.from_number, "79161234567")
        self.assertEqual(answered.answered_at, BASE_TIME + timedelta(seconds=8))

    def test_answered_inbound_call(self):
        messages = self.asterisk.answered_call()
        self.assertEqual(self.receive(messages), 7)
        call = self.ari_calls()
        self.assertEqual(len(call), 1)
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "inbound",
                    "state": "ended",
                    "outcome": "answered",
                    "from_number": "+79161234567",
                    "to_number": "+74951234567",
                    "did": "74951234567",
                    "extension": "101",
                    "user_id": self.agent.id,
                    "partner_id": self.ru_partner.id,
                    "started_at": BASE_TIME,
                    "answered_at": BASE_TIME + timedelta(seconds=8),
                    "ended_at": BASE_TIME + timedelta(seconds=68),
                    "duration": 68,
                    "billsec": 60,
                    "hangup_cause": "NORMAL_CLEARING",
                    "is_missed": False,
                }
            ],
        )
        self.assertEqual(
            call.external_call_id, json.loads(messages[0])["channel"]["id"]
        )

    def test_ivr_answered_but_missed(self):
        self.receive(self.asterisk.ivr_missed_call())
        call = self.ari_calls()
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    "answered_at": False,
                    "billsec": 0,
                    "duration": 40,
                    "extension": "101",
                }
            ],
        )

    def test_queue_with_local_members_and_blind_transfer(self):
        """A queue rings Local/101@from-queue, 101 answers, then transfers
        blindly to 102 (the customer's channel dials 102): 102 owns the call."""
        fake = self.asterisk
        start = BASE_TIME
        customer = fake.inbound(start=start)
        local = fake.agent_leg(customer, "101", at=start, tech="Local")
        # The Local channel's own dial of the phone: repeated information.
        phone = fake.agent_leg(customer, "101", at=start)
        second = fake.agent_leg(customer, "102", at=start + timedelta(seconds=40))
        messages = [
            fake.event("ChannelCreated", start, channel=customer),
            *fake.ring_agent(customer, local, start + timedelta(seconds=1)),
            fake.event(
                "Dial",
                start + timedelta(seconds=1),
                caller=fake.with_state(local, "Up"),
                peer=phone,
                dialstatus="",
            ),
            *fake.answer_agent(customer, local, start + timedelta(seconds=5)),
            fake.event(
                "BridgeBlindTransfer",
                start + timedelta(seconds=40),
                channel=fake.with_state(phone, "Up"),
                transferee=fake.with_state(customer, "Up"),
                exten="102",
                context="from-internal",
                result="Success",
                is_external=False,
            ),
            *fake.ring_agent(
                fake.with_state(customer, "Up"), second, start + timedelta(seconds=40)
            ),
            *fake.answer_agent(customer, second, start + timedelta(seconds=45)),
            *fake.hangup(
                fake.with_state(customer, "Up"), start + timedelta(seconds=100)
            ),
        ]
        self.receive(messages)
        self.assertRecordValues(
            self.ari_calls(),
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "extension": "102",
                    "user_id": self.agent_b.id,
                    "answered_at": start + timedelta(seconds=5),
                    "billsec": 95,
                }
            ],
        )

    def test_ring_all_queue_pops_every_member(self):
        """A ringall queue dials 101 and 102 at once; 102 answers, Asterisk
        cancels the dial of 101: both saw the caller, 102 owns the call."""
        fake = self.asterisk
        start = BASE_TIME
        customer = fake.inbound(start=start)
        first = fake.agent_leg(customer, "101", at=start)
        second = fake.agent_leg(customer, "102", at=start)
        at = start + timedelta(seconds=1)
        self.receive(
            [
                fake.event("ChannelCreated", start, channel=customer),
                *fake.ring_agent(customer, first, at),
                *fake.ring_agent(customer, second, at),
            ]
        )
        call = self.ari_calls()
        self.assertEqual(call.user_id, self.agent)
        self.assertEqual(call.ringing_user_ids, self.agent_b)
        for agent in (self.agent, self.agent_b):
            self.assertEqual(
                [(p["state"], p["closed"]) for p in self.bus_payloads(agent)],
                [("ringing", False)],
            )
        answered = start + timedelta(seconds=6)
        self.receive(
            [
                *fake.answer_agent(customer, second, answered),
                fake.event(
                    "Dial",
                    answered,
                    caller=customer,
                    peer=fake.with_state(first, "Ringing"),
                    dialstatus="CANCEL",
                ),
                *fake.hangup(first, answered),
                *fake.hangup(
                    fake.with_state(customer, "Up"), start + timedelta(seconds=66)
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
                    "billsec": 60,
                }
            ],
        )
        self.assertEqual(call.ringing_user_ids, self.agent)
        self.assertEqual(
            [(p["state"], p["closed"]) for p in self.bus_payloads(self.agent)],
            [("ringing", False), ("answered", True)],
        )

    def test_attended_transfer(self):
        fake = self.asterisk
        start = BASE_TIME
        customer = fake.inbound(start=start)
        first = fake.agent_leg(customer, "101", at=start)
        # 101 calls 102 on a second line: a call between phones, not stored.
        consult = fake.channel(
            "101", number="101", exten="102", context="from-internal", created=start
        )
        target = fake.agent_leg(consult, "102", at=start + timedelta(seconds=30))
        consult_messages = [
            fake.event(
                "ChannelCreated", start + timedelta(seconds=30), channel=consult
            ),
            *fake.ring_agent(consult, target, start + timedelta(seconds=30)),
            *fake.answer_agent(consult, target, start + timedelta(seconds=33)),
        ]
        messages = [
            fake.event("ChannelCreated", start, channel=customer),
            *fake.ring_agent(customer, first, start + timedelta(seconds=1)),
            *fake.answer_agent(customer, first, start + timedelta(seconds=3)),
            *consult_messages,
            fake.event(
                "BridgeAttendedTransfer",
                start + timedelta(seconds=50),
                transferer_first_leg=fake.with_state(first, "Up"),
                transferer_second_leg=fake.with_state(consult, "Up"),
                transferee=fake.with_state(customer, "Up"),
                transfer_target=fake.with_state(target, "Up"),
                result="Success",
                is_external=False,
                destination_type="bridge",
            ),
            *fake.hangup(fake.with_state(first, "Up"), start + timedelta(seconds=50)),
            *fake.hangup(consult, start + timedelta(seconds=50)),
        ]
        self.receive(messages)
        call = self.ari_calls()
        self.assertEqual(len(call), 1, "the consultation call is internal")
        self.assertRecordValues(
            call,
            [{"state": "answered", "extension": "102", "user_id": self.agent_b.id}],
        )
        self.receive(
            fake.hangup(fake.with_state(customer, "Up"), start + timedelta(seconds=90))
        )
        self.assertRecordValues(
            call, [{"state": "ended", "outcome": "answered", "billsec": 87}]
        )

    def test_duplicates_and_reordering(self):
        messages = self.asterisk.answered_call()
        keys = [self.adapter.ws_parse(message)[0] for message in messages]
        stored = [key for key in keys if key]
        self.assertEqual(len(stored), len(set(stored)), "one key per message")
        # The same message again (a reconnection replaying a buffer, the
        # retry cron): the same key, nothing new.
        self.assertEqual(self.adapter.ws_parse(messages[7])[0], keys[7])
        shuffled = messages * 2
        random.Random(4).shuffle(shuffled)
        self.receive(shuffled)
        self.assertEqual(
            self.env["crm.callcenter.event"].search_count(
                [("provider_id", "=", self.ari.id)]
            ),
            len(stored),
        )
        self.assertRecordValues(
            self.ari_calls(),
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "started_at": BASE_TIME,
                    "answered_at": BASE_TIME + timedelta(seconds=8),
                    "billsec": 60,
                    "duration": 68,
                }
            ],
        )

    def test_mixmonitor_recording_from_the_channel_variables(self):
        """MixMonitor started at the answer sets MIXMONITOR_FILENAME on the
        channel it records; with that variable in ari.conf's channelvars,
        every later event names the file, and the call keeps it."""
        path = "/var/spool/asterisk/monitor/2026/12/07/in-79161234567.wav"

        def recorded(message):
            doc = json.loads(message)
            for value in doc.values():
                if isinstance(value, dict) and "channelvars" in value:
                    value["channelvars"]["MIXMONITOR_FILENAME"] = path
            return json.dumps(doc)

        messages = self.asterisk.answered_call()
        self.receive(messages[:7] + [recorded(m) for m in messages[7:]])
        call = self.ari_calls()
        self.assertEqual(call.recording_id, path)
        self.assertTrue(call.has_recording)
        self.assertFalse(call.recording_url)
        # Without the variable: no recording to offer.
        self.assertFalse(self.adapter.recording(json.loads(messages[0])["channel"]))
        # The dialplan's own variable wins, and a URL is kept as a link.
        channel = json.loads(messages[0])["channel"]
        channel["channelvars"].update(
            {
                "crm_recording": "https://pbx.example.com/r/1.wav",
                "MIXMONITOR_FILENAME": path,
            }
        )
        self.assertEqual(
            self.adapter.recording(channel), "https://pbx.example.com/r/1.wav"
        )

    def test_cyrillic_caller_name_and_stored_body_parse_again(self):
        messages = self.asterisk.answered_call(name="Иван Петров")
        self.receive(messages[:1])
        call = self.ari_calls()
        self.assertEqual(call.caller_name, "Иван Петров")
        event = call.event_ids
        self.assertIn("Иван Петров", event.payload)
        # The retry cron parses the stored body (UTF-8 bytes) again.
        (again,) = self.ari._get_adapter().parse(event.payload.encode())
        self.assertEqual(again.caller_name, "Иван Петров")
        self.assertEqual(again.external_call_id, call.external_call_id)

    def test_calls_between_phones_and_unreadable_messages(self):
        fake = self.asterisk
        phone = fake.channel("101", number="101", exten="102", context="from-internal")
        other = fake.agent_leg(phone, "102", at=BASE_TIME)
        internal = [
            fake.event("ChannelCreated", BASE_TIME, channel=phone),
            *fake.ring_agent(phone, other, BASE_TIME),
            *fake.answer_agent(phone, other, BASE_TIME),
            *fake.hangup(phone, BASE_TIME + timedelta(seconds=9)),
        ]
        self.assertEqual(self.receive(internal), 0)
        self.assertFalse(self.ari_calls())
        with self.assertRaises(PayloadError):
            self.adapter.ws_parse("{not json")
        with self.assertRaises(PayloadError):
            self.adapter.ws_parse('["ChannelCreated"]')
        without_linkedid = json.loads(fake.answered_call()[0])
        del without_linkedid["channel"]["channelvars"]
        with self.assertRaisesRegex(PayloadError, "channelvars = CHANNEL"):
            self.adapter.ws_parse(json.dumps(without_linkedid))
        with self.assertRaisesRegex(StreamError, "another client"):
            self.adapter.ws_parse(
                '{"type": "ApplicationReplaced", "application": "odoo",'
                ' "timestamp": "2026-03-02T12:00:00.000+0300"}'
            )

    def test_trunk_patterns(self):
        adapter = AsteriskAriAdapter("trunk-*, PJSIP/sipnet")
        fake = FakeAsterisk()
        self.assertTrue(adapter.is_trunk(fake.channel("trunk-rt")))
        self.assertTrue(adapter.is_trunk(fake.channel("sipnet")))
        self.assertFalse(adapter.is_trunk(fake.channel("sipnet", tech="SIP")))
        self.assertFalse(adapter.is_trunk(fake.channel("101")))
        self.assertFalse(adapter.is_trunk(fake.channel("trunk-rt", tech="Local")))

    # -- websocket settings ----------------------------------------------------------

    def test_stream_url_and_authentication(self):
        config = self.ari._get_adapter_config()
        self.assertEqual(
            self.adapter.ws_url(config),
            "ws://127.0.0.1:8088/ari/events?app=odoo&subscribeAll=true",
        )
        token = base64.b64encode(f"{ARI_USER}:{ARI_PASSWORD}".encode()).decode()
        self.assertEqual(
            self.adapter.ws_headers(config), {"Authorization": f"Basic {token}"}
        )
        self.ari.write(
            {
                "asterisk_ari_url": "https://pbx.example.com/asterisk/ari/",
                "asterisk_ari_auth": "api_key",
                "asterisk_ari_app": "odoo crm",
            }
        )
        config = self.ari._get_adapter_config()
        url = urlsplit(self.adapter.ws_url(config))
        self.assertEqual(
            (url.scheme, url.netloc, url.path),
            ("wss", "pbx.example.com", "/asterisk/ari/events"),
        )
        self.assertEqual(
            parse_qs(url.query),
            {
                "app": ["odoo crm"],
                "subscribeAll": ["true"],
                "api_key": [f"{ARI_USER}:{ARI_PASSWORD}"],
            },
        )
        self.assertEqual(self.adapter.ws_headers(config), {})
        self.assertEqual(self.adapter.ws_subscribe(config), [])
        self.assertEqual(
            self.ari.asterisk_ari_events_url,
            "wss://pbx.example.com/asterisk/ari/events?app=odoo+crm&subscribeAll=true",
        )

    def test_password_is_for_system_administrators(self):
        provider = self.ari.with_user(self.manager)
        self.assertTrue(provider.is_websocket)
        self.assertFalse(self.provider.is_websocket, "the generic provider")
        with self.assertRaises(AccessError):
            provider.read(["asterisk_ari_password"])
        self.assertEqual(
            self.ari.with_user(self.ari_manager).asterisk_ari_password, ARI_PASSWORD
        )

    # -- click-to-call ---------------------------------------------------------------

    @responses.activate
    def test_originate_then_events_land_on_the_clicked_call(self):
        responses.add(
            responses.POST,
            ORIGINATE_URL,
            json={"id": "odoo-c2c-42", "name": "PJSIP/101-00000020", "state": "Down"},
        )
        config = self.ari._get_adapter_config()
        result = self.adapter.originate(config, "101", "+79161234567", "c2c-42")
        self.assertEqual(result.external_call_id, "odoo-c2c-42")
        self.assertEqual(result.correlation_id, "c2c-42")
        (sent,) = responses.calls
        query = {
            key: values[0]
            for key, values in parse_qs(urlsplit(sent.request.url).query).items()
        }
        self.assertEqual(
            query,
            {
                "endpoint": "PJSIP/101",
                "context": "from-internal",
                "extension": "79161234567",
                "priority": "1",
                "callerId": "+79161234567",
                "channelId": "odoo-c2c-42",
            },
        )
        token = base64.b64encode(f"{ARI_USER}:{ARI_PASSWORD}".encode()).decode()
        self.assertEqual(sent.request.headers["Authorization"], f"Basic {token}")
        self.assertEqual(
            json.loads(sent.request.body),
            {"variables": {"CRM_CORRELATION_ID": "c2c-42"}},
        )
        self.assertEqual(sent.request.req_kwargs["timeout"], self.ari.request_timeout)

        # The call row click-to-call creates before the PBX says anything.
        clicked = self.env["crm.callcenter.call"].create(
            {
                "provider_id": self.ari.id,
                "company_id": self.ari.company_id.id,
                "external_call_id": "pending-c2c-42",
                "correlation_id": result.correlation_id,
                "direction": "outbound",
                "to_number": "+79161234567",
                "customer_number": "+79161234567",
                "partner_id": self.ru_partner.id,
                "user_id": self.agent.id,
            }
        )
        fake = self.asterisk
        start = BASE_TIME
        agent_leg = fake.channel(
            "101",
            channel_id="odoo-c2c-42",
            state="Down",
            number="+79161234567",
            context="from-internal",
            exten="79161234567",
            created=start,
        )
        customer = fake.channel(
            "trunk-rt",
            linked=agent_leg,
            state="Down",
            number="79161234567",
            created=start,
        )
        up_agent = fake.with_state(agent_leg, "Up")
        messages = [
            fake.event("ChannelCreated", start, channel=agent_leg),
            fake.event(
                "ChannelStateChange", start + timedelta(seconds=3), channel=up_agent
            ),
            fake.event(
                "ChannelCreated", start + timedelta(seconds=4), channel=customer
            ),
            fake.event(
                "Dial",
                start + timedelta(seconds=4),
                caller=up_agent,
                peer=customer,
                dialstatus="",
                dialstring="79161234567@trunk-rt",
            ),
            fake.event(
                "Dial",
                start + timedelta(seconds=10),
                caller=up_agent,
                peer=fake.with_state(customer, "Up"),
                dialstatus="ANSWER",
            ),
            *fake.hangup(
                fake.with_state(customer, "Up"), start + timedelta(seconds=70)
            ),
            *fake.hangup(up_agent, start + timedelta(seconds=70)),
        ]
        self.receive(messages)
        self.assertEqual(self.ari_calls(), clicked)
        self.assertRecordValues(
            clicked,
            [
                {
                    "external_call_id": "odoo-c2c-42",
                    "direction": "outbound",
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "partner_id": self.ru_partner.id,
                    "answered_at": start + timedelta(seconds=10),
                    "billsec": 60,
                }
            ],
        )

    def test_outbound_busy_from_a_desk_phone(self):
        """A phone dials a customer through the trunk: outbound, busy."""
        fake = self.asterisk
        phone = fake.channel(
            "102", number="102", exten="89161234567", context="from-internal"
        )
        customer = fake.channel(
            "trunk-rt", linked=phone, state="Down", number="89161234567"
        )
        messages = [
            fake.event("ChannelCreated", BASE_TIME, channel=phone),
            fake.event(
                "Dial",
                BASE_TIME + timedelta(seconds=1),
                caller=phone,
                peer=customer,
                dialstatus="",
                dialstring="89161234567@trunk-rt",
            ),
            fake.event(
                "Dial",
                BASE_TIME + timedelta(seconds=3),
                caller=phone,
                peer=customer,
                dialstatus="BUSY",
            ),
            *fake.hangup(customer, BASE_TIME + timedelta(seconds=3), 17, "User busy"),
            *fake.hangup(phone, BASE_TIME + timedelta(seconds=4), 17, "User busy"),
        ]
        self.receive(messages)
        self.assertRecordValues(
            self.ari_calls(),
            [
                {
                    "external_call_id": phone["id"],
                    "direction": "outbound",
                    "from_number": "102",
                    "to_number": "+79161234567",
                    "customer_number": "+79161234567",
                    "user_id": self.agent_b.id,
                    "state": "ended",
                    "outcome": "busy",
                    "billsec": 0,
                }
            ],
        )

    @responses.activate
    def test_originate_errors(self):
        config = self.ari._get_adapter_config()
        cases = [
            (responses.Response(responses.POST, ORIGINATE_URL, status=401), MSG_AUTH),
            (
                responses.Response(
                    responses.POST,
                    ORIGINATE_URL,
                    status=400,
                    json={"message": "Allocation failed"},
                ),
                MSG_REJECTED,
            ),
            (
                responses.Response(
                    responses.POST, ORIGINATE_URL, body=requests.ConnectTimeout()
                ),
                MSG_TIMEOUT,
            ),
            (
                responses.Response(
                    responses.POST, ORIGINATE_URL, body=requests.ConnectionError()
                ),
                MSG_UNREACHABLE,
            ),
        ]
        for response, message in cases:
            with self.subTest(message=message):
                responses.reset()
                responses.add(response)
                with self.assertRaises(OriginateError) as caught:
                    self.adapter.originate(config, "101", "+79161234567", "c-1")
                self.assertEqual(str(caught.exception), str(message))
                self.assertNotIn(ARI_PASSWORD, str(caught.exception))
        with self.assertRaisesRegex(OriginateError, str(MSG_NO_EXTENSION)):
            self.adapter.originate(config, "", "+79161234567", "c-1")

    @responses.activate
    def test_originate_with_api_key_and_patterns(self):
        self.ari.write(
            {
                "asterisk_ari_auth": "api_key",
                "asterisk_ari_endpoint_pattern": "SIP/{extension}",
                "asterisk_ari_context": "crm-out",
                "asterisk_ari_extension_pattern": "9{number}",
            }
        )
        responses.add(responses.POST, ORIGINATE_URL, json={"id": "odoo-x"})
        self.adapter.originate(
            self.ari._get_adapter_config(), "102", "+442071234567", "x"
        )
        (sent,) = responses.calls
        query = parse_qs(urlsplit(sent.request.url).query)
        self.assertEqual(query["endpoint"], ["SIP/102"])
        self.assertEqual(query["context"], ["crm-out"])
        self.assertEqual(query["extension"], ["9442071234567"])
        self.assertEqual(query["api_key"], [f"{ARI_USER}:{ARI_PASSWORD}"])
        self.assertNotIn("Authorization", sent.request.headers)


@tagged("post_install", "-at_install")
class TestAsteriskAriWebhook(HttpCase, AriCase):
    def test_webhook_refuses_ari_posts(self):
        body = self.asterisk.answered_call()[0].encode()
        response = self.url_open(
            f"/callcenter/webhook/{self.ari.webhook_token}",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(response.status_code, 401)
        self.assertFalse(self.ari_calls())
        self.assertFalse(
            self.env["crm.callcenter.event"].search([("provider_id", "=", self.ari.id)])
        )
