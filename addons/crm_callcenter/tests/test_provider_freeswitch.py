"""FreeSWITCH provider: mod_json_cdr documents posted through HTTP in each of
the module's encodings, one per leg, as FreeSWITCH sends them."""

import base64
import json
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from odoo.tests import HttpCase, tagged

from ..tools.providers import OriginateError, get_adapter
from .common import CallcenterCase

T0 = datetime(2026, 3, 2, 9, 0, 0)  # naive UTC
USER, PASSWORD = "fs1", "cdr-p@ss:word"
CUSTOMER = "79161234567"
DID = "74951234567"
NAME = "Иван Петров"


def epoch(moment):
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


def micros(moment):
    return str(epoch(moment) * 1_000_000 + 90123) if moment else "0"


def switch_url_encode(value):
    """mod_json_cdr's encode-values: every unsafe byte as %XX."""
    return quote(str(value), safe="-_.!~*'()/")


class FakeFreeswitch:
    """Builds the CDR mod_json_cdr posts when a leg ends."""

    def __init__(self, user=USER, password=PASSWORD):
        self.user = user
        self.password = password

    def variables(self, uuid, start, answer, end, bridge=None, **extra):
        billsec = int((end - answer).total_seconds()) if answer else 0
        return {
            "uuid": uuid,
            "call_uuid": uuid,
            "sip_call_id": f"{uuid[:8]}@10.0.0.5",
            "start_stamp": start.strftime("%Y-%m-%d %H:%M:%S"),
            "start_epoch": str(epoch(start)),
            "answer_epoch": str(epoch(answer)) if answer else "0",
            "bridge_epoch": str(epoch(bridge)) if bridge else "0",
            "end_epoch": str(epoch(end)),
            "duration": str(int((end - start).total_seconds())),
            "billsec": str(billsec),
            "progresssec": "1",
            **{key: value for key, value in extra.items() if value is not None},
        }

    def callflow(self, profile, start, answer, end, bridge=None, index="1"):
        return {
            "dialplan": "XML",
            "profile_index": index,
            "extension": {"name": "inbound_did", "number": DID},
            "caller_profile": profile,
            "times": {
                "created_time": micros(start),
                "profile_created_time": micros(start),
                "progress_time": "0",
                "progress_media_time": "0",
                "answered_time": micros(answer),
                "bridged_time": micros(bridge),
                "last_hold_time": "0",
                "hold_accum_time": "0",
                "hangup_time": micros(end),
                "resurrect_time": "0",
                "transfer_time": "0",
            },
        }

    def a_leg(
        self,
        uuid,
        start,
        end,
        answer=None,
        bridge=None,
        agents=(),
        cause="NORMAL_CLEARING",
        **extra,
    ):
        """An inbound customer leg; ``agents`` are (uuid, extension) rung."""
        profile = {
            "username": CUSTOMER,
            "dialplan": "XML",
            "caller_id_name": NAME,
            "ani": CUSTOMER,
            "caller_id_number": CUSTOMER,
            "network_addr": "203.0.113.10",
            "destination_number": DID,
            "uuid": uuid,
            "source": "mod_sofia",
            "context": "public",
            "chan_name": f"sofia/external/{CUSTOMER}@203.0.113.10",
        }
        if agents:
            profile["originatee"] = {
                "originatee_caller_profiles": [
                    {
                        "caller_id_number": CUSTOMER,
                        "destination_number": ext,
                        "uuid": b_uuid,
                        "context": "public",
                        "chan_name": f"sofia/internal/{ext}@10.0.0.21:5060",
                    }
                    for b_uuid, ext in agents
                ]
            }
        variables = self.variables(
            uuid,
            start,
            answer,
            end,
            bridge,
            direction="inbound",
            caller_id_number=CUSTOMER,
            caller_id_name=NAME,
            destination_number=DID,
            dialed_user=agents[-1][1] if agents and bridge else None,
            last_bridge_to=agents[-1][0] if agents and bridge else None,
            hangup_cause=cause,
            sip_hangup_disposition="recv_bye",
            last_app="bridge" if agents else "playback",
            **extra,
        )
        return {
            "core-uuid": "720b5579-8177-442d-bfaa-8d1c45ee2f22",
            "switchname": "fs1",
            "channel_data": {
                "state": "CS_REPORTING",
                "direction": "inbound",
                "state_number": "11",
            },
            "variables": variables,
            "app_log": {
                "applications": [{"app_name": "bridge", "app_data": "user/101"}]
            },
            "callflow": self.callflow(profile, start, answer, end, bridge),
        }

    def b_leg(self, uuid, a_uuid, ext, start, end, answer=None, cause=None, **extra):
        """An agent's leg, originated by the A-leg's bridge to user/<ext>."""
        profile = {
            "username": CUSTOMER,
            "caller_id_name": NAME,
            "caller_id_number": CUSTOMER,
            "destination_number": ext,
            "uuid": uuid,
            "context": "public",
            "chan_name": f"sofia/internal/{ext}@10.0.0.21:5060",
            "originator": {
                "originator_caller_profiles": [
                    {
                        "caller_id_number": CUSTOMER,
                        "destination_number": DID,
                        "uuid": a_uuid,
                        "chan_name": f"sofia/external/{CUSTOMER}@203.0.113.10",
                    }
                ]
            },
        }
        cause = cause or ("NORMAL_CLEARING" if answer else "ORIGINATOR_CANCEL")
        variables = self.variables(
            uuid,
            start,
            answer,
            end,
            direction="outbound",
            caller_id_number=CUSTOMER,
            caller_id_name=NAME,
            dialed_user=ext,
            dialed_domain="acme.example.com",
            hangup_cause=cause,
            **extra,
        )
        return {
            "core-uuid": "720b5579-8177-442d-bfaa-8d1c45ee2f22",
            "switchname": "fs1",
            "channel_data": {"state": "CS_REPORTING", "direction": "outbound"},
            "variables": variables,
            "callflow": self.callflow(profile, start, answer, end),
        }

    def request(self, doc, encode="json", encode_values=True, auth=True, text=None):
        """Body and headers as mod_json_cdr sends ``doc``."""
        if encode_values:
            doc = {
                **doc,
                "variables": {
                    key: switch_url_encode(value)
                    for key, value in doc["variables"].items()
                },
            }
        text = text or json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        if encode == "form":
            body = "cdr=" + quote(text, safe="")
            content_type = "application/x-www-form-urlencoded"
        elif encode == "base64":
            body = "cdr=" + base64.b64encode(text.encode()).decode()
            content_type = "application/x-www-form-base64-encoded"
        else:
            body = text
            content_type = "application/json"
        headers = {"Content-Type": content_type, "User-Agent": "freeswitch-json/1.0"}
        if auth:
            credentials = f"{self.user}:{self.password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
        return body.encode(), headers, doc["variables"]["uuid"]


@tagged("post_install", "-at_install")
class TestProviderFreeswitch(HttpCase, CallcenterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ru = cls.env.ref("base.ru")
        cls.fs = cls.env["crm.callcenter.provider"].create(
            {
                "name": "FreeSWITCH",
                "code": "freeswitch",
                "default_country_id": cls.ru.id,
                "freeswitch_username": USER,
                "freeswitch_password": PASSWORD,
            }
        )
        cls.env["crm.callcenter.extension"].create(
            [
                {"name": "101", "provider_id": cls.fs.id, "user_id": cls.agent.id},
                {"name": "102", "provider_id": cls.fs.id, "user_id": cls.agent_b.id},
            ]
        )
        cls.ivan = cls.env["res.partner"].create(
            {"name": NAME, "phone": "+7 916 123-45-67", "country_id": cls.ru.id}
        )
        cls.fake = FakeFreeswitch()

    def post(self, request, token=None):
        body, headers, uuid = request
        # mod_json_cdr appends ?uuid=<leg uuid> to the configured URL.
        return self.url_open(
            f"/callcenter/webhook/{token or self.fs.webhook_token}?uuid={uuid}",
            data=body,
            headers=headers,
            timeout=30,
        )

    def post_all(self, requests_):
        for request in requests_:
            response = self.post(request)
            self.assertEqual(response.status_code, 200, response.text)

    def fs_call(self, call_id):
        calls = self.env["crm.callcenter.call"].search(
            [("provider_id", "=", self.fs.id), ("external_call_id", "=", call_id)]
        )
        self.assertEqual(len(calls), 1, f"one call {call_id} expected")
        return calls

    def counts(self):
        domain = [("provider_id", "=", self.fs.id)]
        return (
            self.env["crm.callcenter.event"].search_count(domain),
            self.env["crm.callcenter.call"].search_count(domain),
        )

    def answered(self, a_uuid, b_uuid, **kwargs):
        """B-leg then A-leg CDR of an inbound call agent 101 answered."""
        fake = self.fake
        b_leg = fake.b_leg(
            b_uuid,
            a_uuid,
            "101",
            T0 + timedelta(seconds=1),
            T0 + timedelta(seconds=77),
            answer=T0 + timedelta(seconds=8),
        )
        a_leg = fake.a_leg(
            a_uuid,
            T0,
            T0 + timedelta(seconds=77),
            answer=T0 + timedelta(seconds=8),
            bridge=T0 + timedelta(seconds=8),
            agents=[(b_uuid, "101")],
            record_file=f"/var/lib/freeswitch/recordings/2026/03/02/{a_uuid}.wav",
        )
        return [fake.request(b_leg, **kwargs), fake.request(a_leg, **kwargs)]

    # -- scenarios ---------------------------------------------------------------

    def test_inbound_answered(self):
        a_uuid = "77645a4f-e691-4126-9842-54e7934d0180"
        b_uuid = "c37517e6-7fe3-42f7-8560-03df6cca0306"
        requests_ = self.answered(a_uuid, b_uuid)
        # The CDR of the agent's leg: the call appears answered when it ends.
        self.post_all(requests_[:1])
        call = self.fs_call(a_uuid)
        self.assertEqual(call.state, "answered")
        self.assertEqual(call.user_id, self.agent)
        self.post_all(requests_[1:])
        call.invalidate_recordset()
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "inbound",
                    "state": "ended",
                    "outcome": "answered",
                    "from_number": "+" + CUSTOMER,
                    "to_number": "+" + DID,
                    "did": DID,
                    "caller_name": NAME,
                    "user_id": self.agent.id,
                    "extension": "101",
                    "partner_id": self.ivan.id,
                    "started_at": T0,
                    "answered_at": T0 + timedelta(seconds=8),
                    "ended_at": T0 + timedelta(seconds=77),
                    "duration": 77,
                    "billsec": 69,
                    "hangup_cause": "NORMAL_CLEARING",
                    "recording_id": (
                        f"/var/lib/freeswitch/recordings/2026/03/02/{a_uuid}.wav"
                    ),
                }
            ],
        )
        self.assertEqual(len(call.event_ids), 2)

    def test_form_and_base64_encodings(self):
        for encode, encode_values in (
            ("form", True),
            ("base64", True),
            ("json", False),
            ("form", False),
        ):
            with self.subTest(encode=encode, encode_values=encode_values):
                a_uuid = f"a-{encode}-{encode_values}"
                self.post_all(
                    self.answered(
                        a_uuid,
                        f"b-{encode}-{encode_values}",
                        encode=encode,
                        encode_values=encode_values,
                    )
                )
                call = self.fs_call(a_uuid)
                self.assertEqual(call.caller_name, NAME)
                self.assertEqual(call.partner_id, self.ivan)
                self.assertEqual(call.outcome, "answered")
                self.assertEqual(call.billsec, 69)

    def test_raw_plus_survives_without_encode_values(self):
        doc = self.fake.a_leg("a-plus", T0, T0 + timedelta(seconds=30))
        doc["variables"]["caller_id_number"] = "+" + CUSTOMER
        doc["variables"]["caller_id_name"] = "Ivan + Co 100%"
        self.post_all([self.fake.request(doc, encode_values=False)])
        call = self.fs_call("a-plus")
        self.assertEqual(call.from_number, "+" + CUSTOMER)
        self.assertEqual(call.caller_name, "Ivan + Co 100%")

    def test_missed_while_ringing(self):
        fake = self.fake
        self.post_all(
            [
                fake.request(
                    fake.b_leg(
                        "b-miss", "a-miss", "101", T0, T0 + timedelta(seconds=25)
                    )
                ),
                fake.request(
                    fake.a_leg(
                        "a-miss",
                        T0,
                        T0 + timedelta(seconds=25),
                        agents=[("b-miss", "101")],
                        cause="ORIGINATOR_CANCEL",
                    )
                ),
            ]
        )
        self.assertRecordValues(
            self.fs_call("a-miss"),
            [
                {
                    "state": "ended",
                    "outcome": "cancelled",
                    "is_missed": True,
                    "is_abandoned": True,
                    "billsec": 0,
                    "answered_at": False,
                    "user_id": self.agent.id,
                    "duration": 25,
                }
            ],
        )

    def test_answered_by_ivr_but_missed(self):
        # The IVR answers at once; nobody is ever bridged; the leg bills 40 s.
        doc = self.fake.a_leg(
            "a-ivr",
            T0,
            T0 + timedelta(seconds=41),
            answer=T0 + timedelta(seconds=1),
        )
        self.assertEqual(doc["variables"]["billsec"], "40")
        self.post_all([self.fake.request(doc)])
        self.assertRecordValues(
            self.fs_call("a-ivr"),
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    "billsec": 0,
                    "answered_at": False,
                    "duration": 41,
                    "user_id": False,
                }
            ],
        )

    def outbound_a_leg(self, uuid, end, bridge=None, cause="NORMAL_CLEARING"):
        fake = self.fake
        profile = {
            "username": "101",
            "caller_id_name": "Agent A",
            "caller_id_number": "101",
            "destination_number": "8" + CUSTOMER[1:],
            "uuid": uuid,
            "context": "default",
            "chan_name": "sofia/internal/101@acme.example.com",
        }
        return {
            "core-uuid": "720b5579-8177-442d-bfaa-8d1c45ee2f22",
            "channel_data": {"state": "CS_REPORTING", "direction": "inbound"},
            "variables": fake.variables(
                uuid,
                T0,
                bridge,
                end,
                bridge,
                direction="inbound",
                caller_id_number="101",
                caller_id_name="Agent A",
                destination_number="8" + CUSTOMER[1:],
                sip_auth_username="101",
                sip_auth_realm="acme.example.com",
                user_name="101",
                hangup_cause=cause,
            ),
            "callflow": fake.callflow(profile, T0, bridge, end, bridge),
        }

    def test_outbound_from_an_extension(self):
        fake = self.fake
        gateway_leg = {
            "variables": fake.variables(
                "b-out",
                T0 + timedelta(seconds=1),
                T0 + timedelta(seconds=9),
                T0 + timedelta(seconds=70),
                direction="outbound",
                sip_gateway_name="rt",
                hangup_cause="NORMAL_CLEARING",
            ),
            "callflow": fake.callflow(
                {
                    "caller_id_number": DID,
                    "destination_number": CUSTOMER,
                    "uuid": "b-out",
                    "chan_name": f"sofia/gateway/rt/{CUSTOMER}",
                    "originator": {
                        "originator_caller_profiles": [
                            {"uuid": "a-out", "destination_number": CUSTOMER}
                        ]
                    },
                },
                T0 + timedelta(seconds=1),
                T0 + timedelta(seconds=9),
                T0 + timedelta(seconds=70),
            ),
        }
        # The customer's leg first: the call is outbound from its first CDR.
        self.post_all([fake.request(gateway_leg)])
        self.assertEqual(self.fs_call("a-out").direction, "outbound")
        self.post_all(
            [
                fake.request(
                    self.outbound_a_leg(
                        "a-out", T0 + timedelta(seconds=70), T0 + timedelta(seconds=9)
                    )
                )
            ]
        )
        self.assertRecordValues(
            self.fs_call("a-out"),
            [
                {
                    "direction": "outbound",
                    "state": "ended",
                    "outcome": "answered",
                    "to_number": "+" + CUSTOMER,
                    "customer_number": "+" + CUSTOMER,
                    "partner_id": self.ivan.id,
                    "user_id": self.agent.id,
                    "answered_at": T0 + timedelta(seconds=9),
                    "billsec": 61,
                    "duration": 70,
                }
            ],
        )
        # A busy customer: the agent's leg was never answered.
        self.post_all(
            [
                fake.request(
                    self.outbound_a_leg(
                        "a-busy", T0 + timedelta(seconds=6), cause="USER_BUSY"
                    )
                )
            ]
        )
        self.assertRecordValues(
            self.fs_call("a-busy"),
            [{"direction": "outbound", "outcome": "busy", "user_id": self.agent.id}],
        )

    def test_transfer_with_duplicate_callflow_keys(self):
        fake = self.fake
        b1 = fake.b_leg(
            "b1-xfer",
            "a-xfer",
            "101",
            T0,
            T0 + timedelta(seconds=60),
            answer=T0 + timedelta(seconds=5),
        )
        b2 = fake.b_leg(
            "b2-xfer",
            "a-xfer",
            "102",
            T0 + timedelta(seconds=58),
            T0 + timedelta(seconds=120),
            answer=T0 + timedelta(seconds=65),
        )
        a_leg = fake.a_leg(
            "a-xfer",
            T0,
            T0 + timedelta(seconds=120),
            answer=T0 + timedelta(seconds=5),
            bridge=T0 + timedelta(seconds=5),
            agents=[("b1-xfer", "101"), ("b2-xfer", "102")],
        )
        first_flow = a_leg.pop("callflow")
        # After the transfer the channel has a second caller profile, whose
        # destination is the new agent; the call still came in on the DID.
        second_flow = json.loads(json.dumps(first_flow))
        second_flow["profile_index"] = "2"
        second_flow["caller_profile"]["destination_number"] = "102"
        second_flow["times"]["created_time"] = micros(T0 + timedelta(seconds=58))
        # Older mod_json_cdr repeats the "callflow" key, one per profile.
        text = json.dumps(a_leg, ensure_ascii=False)[:-1]
        text += ',"callflow":' + json.dumps(first_flow, ensure_ascii=False)
        text += ',"callflow":' + json.dumps(second_flow, ensure_ascii=False) + "}"
        self.assertEqual(text.count('"callflow"'), 2)
        a_leg["callflow"] = first_flow
        self.post_all(
            [
                fake.request(b1),
                fake.request(b2),
                fake.request(a_leg, encode_values=False, text=text),
            ]
        )
        self.assertRecordValues(
            self.fs_call("a-xfer"),
            [
                {
                    "outcome": "answered",
                    "user_id": self.agent_b.id,
                    "extension": "102",
                    "answered_at": T0 + timedelta(seconds=5),
                    "billsec": 115,
                    "started_at": T0,
                    "to_number": "+" + DID,
                }
            ],
        )

    def test_recording_after_the_end(self):
        requests_ = self.answered("a-rec", "b-rec")
        self.post_all(requests_[1:])  # the customer leg's CDR ends the call
        call = self.fs_call("a-rec")
        self.assertEqual(call.state, "ended")
        late = self.fake.b_leg(
            "b-rec",
            "a-rec",
            "101",
            T0 + timedelta(seconds=1),
            T0 + timedelta(seconds=77),
            answer=T0 + timedelta(seconds=8),
            crm_recording_url="https://rec.example.com/a-rec.wav",
        )
        self.post_all([self.fake.request(late)])
        call.invalidate_recordset()
        self.assertEqual(call.recording_url, "https://rec.example.com/a-rec.wav")
        self.assertEqual(call.state, "ended")
        self.assertEqual(call.outcome, "answered")
        self.assertEqual(call.user_id, self.agent)

    def test_retries_and_reordering(self):
        b_leg, a_leg = self.answered("a-dup", "b-dup")
        self.post_all([a_leg, b_leg])
        before = self.counts()
        # mod_json_cdr retries (and rotates URLs) until a 2xx: same CDRs again.
        self.post_all([b_leg, a_leg, a_leg])
        self.assertEqual(self.counts(), before)
        self.assertRecordValues(
            self.fs_call("a-dup"),
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "answered_at": T0 + timedelta(seconds=8),
                    "billsec": 69,
                }
            ],
        )

    def test_basic_authentication(self):
        before = self.counts()
        doc = self.fake.a_leg("a-auth", T0, T0 + timedelta(seconds=5))
        wrong = FakeFreeswitch(password="guess").request(doc)
        missing = self.fake.request(doc, auth=False)
        for request in (wrong, missing):
            self.assertEqual(self.post(request).status_code, 401)
        self.assertEqual(self.counts(), before, "a refused CDR stores nothing")
        self.fs.invalidate_recordset(["rejected_count"])
        self.assertEqual(self.fs.rejected_count, 2)
        self.post_all([self.fake.request(doc)])
        self.fs_call("a-auth")
        # Without credentials configured, the URL token alone suffices.
        self.fs.write({"freeswitch_username": False, "freeswitch_password": False})
        self.post_all([self.fake.request(doc | {}, auth=False)])

    def test_unreadable_cdr_is_refused(self):
        before = self.counts()
        _body, headers, uuid = self.fake.request(
            self.fake.a_leg("a-bad", T0, T0 + timedelta(seconds=5))
        )
        for bad in (b"{not json", b"cdr=%%%", b'{"variables": {}}'):
            response = self.post((bad, headers, uuid))
            self.assertEqual(response.status_code, 400, response.text)
        self.assertEqual(self.counts(), before)

    def test_no_click_to_call_and_test_event(self):
        adapter = get_adapter("freeswitch")
        self.assertFalse(adapter.can_originate)
        self.assertFalse(adapter.websocket)
        with self.assertRaises(OriginateError) as caught:
            adapter.originate(self.fs._get_adapter_config(), "101", "+" + CUSTOMER, "c")
        self.assertIn("Event Socket", str(caught.exception))
        before_calls = self.counts()[1]
        url = f"{self.base_url()}/callcenter/webhook/{self.fs.webhook_token}"
        body, headers = adapter.sample_request(
            self.fs._get_adapter_config(), url, 1772442000
        )
        response = self.url_open(url, data=body, headers=headers, timeout=30)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.counts()[1], before_calls)
        self.assertIn(self.fs.webhook_url, self.fs.freeswitch_config_snippet)

    def test_post_call_survey_score(self):
        """The dialplan's survey stores the caller's digit in the A-leg's
        crm_satisfaction; a wrong value loses the score, not the call."""
        fake = self.fake
        for a_uuid, score, expected in (("a-csat", "4", 4), ("a-csat-bad", "9", 0)):
            a_leg = fake.a_leg(
                a_uuid,
                T0,
                T0 + timedelta(seconds=97),
                answer=T0 + timedelta(seconds=8),
                bridge=T0 + timedelta(seconds=8),
                agents=[(f"b-{a_uuid}", "101")],
                crm_satisfaction=score,
            )
            if expected:
                self.post_all([fake.request(a_leg)])
            else:
                with self.assertLogs(
                    "odoo.addons.crm_callcenter.tools.providers.freeswitch", "WARNING"
                ) as logs:
                    self.post_all([fake.request(a_leg)])
                self.assertIn("crm_satisfaction", logs.output[0])
            call = self.fs_call(a_uuid)
            self.assertEqual((call.state, call.outcome), ("ended", "answered"))
            self.assertEqual(call.satisfaction, expected)
