import json
import time
from contextlib import contextmanager

import requests
import responses

from odoo.exceptions import UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..tools import signature
from .common import SECRET, CallcenterCase

# Loopback, so that HttpCase lets the request through to `responses`; port 9
# (discard) refuses connections should anything escape the fake.
ORIGINATE_URL = "http://127.0.0.1:9/cc-test/originate"
CUSTOMER = "+84903555111"  # self.partner's number, stored as "0903 555 111"


class ClickToCallCase(HttpCase, CallcenterCase):
    """Click-to-call through the generic provider, the contact center faked
    at the HTTP transport (``responses``) with its real wire format."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider.write(
            {"generic_originate_url": ORIGINATE_URL, "request_timeout": 12}
        )
        cls.Call = cls.env["crm.callcenter.call"]

    @contextmanager
    def fake_center(self, *answers, passthru=()):
        """The contact center's originate endpoint, answering ``answers`` in
        turn (the last one repeats): ``{"status", "json" | "body"}``, a body
        being an exception to raise it. Yields the list of requests it got;
        webhooks posted to Odoo, and ``passthru`` URL prefixes, go through."""
        received = []
        pending = list(answers)

        def center(request):
            received.append(request)
            answer = pending.pop(0) if len(pending) > 1 else pending[0]
            body = answer.get("body", "")
            if isinstance(body, Exception):
                raise body
            if "json" in answer:
                body = json.dumps(answer["json"])
            headers = {"Content-Type": "application/json"}
            return answer.get("status", 200), headers, body

        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            for prefix in (self.base_url(), *passthru):
                rsps.add_passthru(prefix)
            rsps.add_callback(responses.POST, ORIGINATE_URL, callback=center)
            yield received

    def click(self, number="0903 555 111", user=None, **kwargs):
        try:
            return self.Call.with_user(user or self.agent).action_click_to_call(
                number, **kwargs
            )
        finally:
            # The call row is written by transactions of its own.
            self.env.invalidate_all()

    def calls(self):
        return self.Call.search(
            [("provider_id", "=", self.provider.id), ("direction", "=", "outbound")]
        )

    def post(self, signed):
        body, headers = signed
        response = self.url_open(
            f"/callcenter/webhook/{self.provider.webhook_token}",
            data=body,
            headers=headers,
            timeout=30,
        )
        self.assertEqual(response.status_code, 200, response.text)
        return response

    def outbound_events(self, call_id, correlation_id, agent="101", to=CUSTOMER):
        """The center's events of a placed call: it rings the agent, the
        customer answers, they hang up."""
        common = {
            "direction": "outbound",
            "from_": agent,
            "to": to,
            "agent": agent,
            "correlation_id": correlation_id,
        }
        return [
            self.center.event("call.ringing", call_id, **common),
            self.center.event("call.answered", call_id, **common),
            self.center.event(
                "call.ended", call_id, hangup_cause="NORMAL_CLEARING", **common
            ),
        ]


@tagged("post_install", "-at_install")
class TestClickToCall(ClickToCallCase):
    def test_call_with_provider_id_then_events_on_same_row(self):
        with self.fake_center({"json": {"call_id": "pbx-100"}}) as sent:
            result = self.click(res_model="res.partner", res_id=self.partner.id)
        self.assertEqual(result["status"], "calling")
        self.assertEqual(result["number"], CUSTOMER)
        self.assertIn(CUSTOMER, result["message"])

        # What the center received: signed JSON, with the provider's timeout.
        (request,) = sent
        self.assertEqual(request.req_kwargs["timeout"], 12)
        body = json.loads(request.body)
        self.assertEqual(set(body), {"agent", "number", "correlation_id"})
        self.assertEqual((body["agent"], body["number"]), ("101", CUSTOMER))
        self.assertTrue(
            signature.verify(
                SECRET,
                request.headers["webhook-id"],
                request.headers["webhook-timestamp"],
                request.headers["webhook-signature"],
                request.body,
                int(time.time()),
            )
        )

        call = self.assertCallLogged(
            "pbx-100",
            state="ringing",
            direction="outbound",
            user_id=self.agent,
            extension="101",
            partner_id=self.partner,
            customer_number=CUSTOMER,
            to_number=CUSTOMER,
            correlation_id=body["correlation_id"],
        )
        self.assertEqual(result["call_id"], call.id)
        self.assertTrue(call.started_at)
        # The agent's screen pops the card of the call at once.
        payloads = [p for p in self.bus_payloads(self.agent) if p["call_id"] == call.id]
        self.assertTrue(payloads, "a screen pop for the new call")
        self.assertEqual(payloads[0]["direction"], "outbound")
        self.assertEqual(payloads[0]["state"], "ringing")
        self.assertEqual(payloads[0]["partner"]["id"], self.partner.id)

        for signed in self.outbound_events("pbx-100", body["correlation_id"]):
            self.post(signed)
        self.assertEqual(self.calls(), call, "the events landed on the same row")
        call.invalidate_recordset()
        self.assertEqual(call.state, "ended")
        self.assertEqual(call.outcome, "answered")
        self.assertEqual(call.user_id, self.agent)
        self.assertEqual(len(call.event_ids), 3)

    def test_provider_id_with_nul_is_stored_replaced(self):
        """JSON can carry "\\u0000", which PostgreSQL cannot store: the call
        is placed and keeps the center's id with U+FFFD in its place."""
        with self.fake_center({"json": {"call_id": "pbx\x00-7"}}):
            result = self.click(res_model="res.partner", res_id=self.partner.id)
        self.assertEqual(result["status"], "calling")
        call = self.Call.browse(result["call_id"])
        self.assertEqual(call.external_call_id, "pbx\ufffd-7")

    def test_call_without_provider_id_is_adopted_by_correlation(self):
        with self.fake_center({"status": 202, "body": ""}) as sent:
            result = self.click()
        (request,) = sent
        correlation_id = json.loads(request.body)["correlation_id"]
        call = self.Call.browse(result["call_id"])
        self.assertEqual(
            self.calls(), call, "the row exists as soon as the call is placed"
        )
        self.assertEqual(call.state, "ringing")
        self.assertEqual(call.correlation_id, correlation_id)
        # No provider id yet: a placeholder, unique per click.
        self.assertIn(correlation_id, call.external_call_id)
        # Matched by number like an incoming call.
        self.assertEqual(call.partner_id, self.partner)

        # The center's own id comes with its events, which carry the
        # correlation id: they adopt the row.
        for signed in self.outbound_events("pbx-777", correlation_id):
            self.post(signed)
        self.assertEqual(self.calls(), call)
        self.assertCallLogged(
            "pbx-777", state="ended", outcome="answered", user_id=self.agent
        )

    def test_refusal_with_error_text_leaves_nothing(self):
        answer = {"status": 409, "json": {"error": "Agent 101 is offline"}}
        with (
            self.fake_center(answer) as sent,
            self.assertRaisesRegex(UserError, "Agent 101 is offline"),
        ):
            self.click()
        self.assertEqual(len(sent), 1)
        self.assertFalse(self.calls(), "no call is left of a refused click")
        # The card popped for the attempt is closed on the agent's screen.
        payloads = self.bus_payloads(self.agent)
        self.assertTrue(payloads[-1]["closed"])

    def test_server_error_without_text(self):
        with (
            self.fake_center({"status": 503, "body": "<html>busy</html>"}),
            self.assertRaisesRegex(UserError, "HTTP 503"),
        ):
            self.click()
        self.assertFalse(self.calls())

    def test_timeout(self):
        with (
            self.fake_center({"body": requests.Timeout("read timed out")}),
            self.assertRaisesRegex(
                UserError, "The provider did not answer in 12 seconds"
            ),
        ):
            self.click()
        self.assertFalse(self.calls())

    def test_unreachable_center(self):
        with (
            self.fake_center({"body": requests.ConnectionError("refused")}),
            self.assertRaisesRegex(UserError, "could not be reached"),
        ):
            self.click()
        self.assertFalse(self.calls())

    def test_events_during_the_originate_request_find_the_row(self):
        """The center reports the call before it answers the request: the
        events find the row (created first) by the correlation id."""
        seen = {}

        def center(request):
            correlation_id = json.loads(request.body)["correlation_id"]
            seen["rows"] = self.calls().ids
            # As the webhook would (it cannot run concurrently in a test).
            self.feed(self.outbound_events("pbx-early", correlation_id)[:1])
            return 200, {}, json.dumps({"call_id": "pbx-early"})

        with responses.RequestsMock() as rsps:
            rsps.add_callback(responses.POST, ORIGINATE_URL, callback=center)
            result = self.click()
        self.assertEqual(len(seen["rows"]), 1, "the row existed during the request")
        call = self.assertCallLogged("pbx-early", user_id=self.agent, state="ringing")
        self.assertEqual(call.id, result["call_id"])
        self.assertEqual(self.calls(), call)
        self.assertEqual([call.id], seen["rows"], "the event adopted the click's row")
        self.assertEqual(len(call.event_ids), 1)

    def test_events_by_provider_id_before_its_answer_are_merged(self):
        """A center whose events only carry its own call id, sent before it
        answered with that id: one call remains, with the click's agent and
        contact."""

        def center(request):
            # No correlation id in this event: it creates its own row.
            self.feed(
                [
                    self.center.event(
                        "call.ringing",
                        "pbx-race",
                        direction="outbound",
                        from_="101",
                        to=CUSTOMER,
                    )
                ]
            )
            return 200, {}, json.dumps({"call_id": "pbx-race"})

        with responses.RequestsMock() as rsps:
            rsps.add_callback(responses.POST, ORIGINATE_URL, callback=center)
            result = self.click(res_model="res.partner", res_id=self.partner.id)
        call = self.assertCallLogged(
            "pbx-race", user_id=self.agent, partner_id=self.partner, extension="101"
        )
        self.assertEqual(result["call_id"], call.id)
        self.assertEqual(self.calls(), call, "the click's own row is gone")

    def test_failure_after_the_events_adopted_the_row_keeps_it(self):
        """The center placed the call (its events say so) but its answer
        timed out: the call is real and stays, the agent is told."""

        def center(request):
            correlation_id = json.loads(request.body)["correlation_id"]
            self.feed(self.outbound_events("pbx-slow", correlation_id)[:1])
            raise requests.Timeout("read timed out")

        with responses.RequestsMock() as rsps:
            rsps.add_callback(responses.POST, ORIGINATE_URL, callback=center)
            with self.assertRaisesRegex(UserError, "did not answer in 12 seconds"):
                self.click()
        self.assertCallLogged("pbx-slow", user_id=self.agent, state="ringing")

    def test_no_extension(self):
        nobody = new_test_user(
            self.env,
            login="cc_agent_no_ext",
            groups="crm_callcenter.crm_callcenter_group_agent",
        )
        with self.fake_center({"json": {}}) as sent:
            with self.assertRaisesRegex(UserError, "You have no extension"):
                self.click(user=nobody)
            # An extension on a provider that cannot place calls is none.
            self.provider.generic_originate_url = False
            with self.assertRaisesRegex(UserError, "You have no extension"):
                self.click()
        self.assertFalse(sent)
        self.assertFalse(self.calls())

    def test_not_an_agent(self):
        sales = new_test_user(
            self.env, login="cc_sales_c2c", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaisesRegex(UserError, "Only call center agents"):
            self.click(user=sales)

    def test_invalid_number(self):
        with (
            self.fake_center({"json": {}}) as sent,
            self.assertRaisesRegex(UserError, "not a phone number"),
        ):
            self.click("call me")
        self.assertFalse(sent)

    def test_blacklisted_number_refused_to_agent(self):
        self.env["phone.blacklist"].create({"number": CUSTOMER})
        with self.fake_center({"json": {}}) as sent:
            with self.assertRaisesRegex(UserError, "blacklist"):
                self.click()
            # Agents cannot confirm it themselves.
            with self.assertRaisesRegex(UserError, "Only a call center manager"):
                self.click(confirm=True)
        self.assertFalse(sent)
        self.assertFalse(self.calls())

    def test_blacklisted_number_confirmed_by_manager(self):
        self.env["crm.callcenter.extension"].create(
            {"name": "103", "provider_id": self.provider.id, "user_id": self.manager.id}
        )
        self.env["phone.blacklist"].create({"number": CUSTOMER})
        with self.fake_center({"json": {"call_id": "pbx-bl"}}) as sent:
            answer = self.click(user=self.manager)
            self.assertEqual(answer["status"], "confirm")
            self.assertIn("blacklist", answer["message"])
            self.assertFalse(sent, "nothing before confirming")
            self.assertFalse(self.calls())
            result = self.click(user=self.manager, confirm=True)
        self.assertEqual(result["status"], "calling")
        (request,) = sent
        self.assertEqual(json.loads(request.body)["agent"], "103")
        self.assertCallLogged("pbx-bl", user_id=self.manager)

    def test_extension_choice(self):
        other = self.provider.copy(
            {
                "name": "Second Center",
                "sequence": 1,
                "generic_originate_url": ORIGINATE_URL,
            }
        )
        Extension = self.env["crm.callcenter.extension"]
        first = Extension.search([("user_id", "=", self.agent.id)])
        second = Extension.create(
            {"name": "201", "provider_id": other.id, "user_id": self.agent.id}
        )
        Call = self.Call.with_user(self.agent)
        # The first provider by sequence.
        self.assertEqual(Call._get_originate_extension(self.agent), (second, other))
        # Unless another extension is the preferred one.
        first.is_preferred = True
        extension, provider = Call._get_originate_extension(self.agent)
        self.assertEqual((extension, provider), (first, self.provider))
        # An extension for every provider serves the providers it is not
        # overridden on.
        first.unlink()
        second.is_preferred = False
        any_provider = Extension.create({"name": "301", "user_id": self.agent.id})
        self.provider.sequence = 0
        self.assertEqual(
            Call._get_originate_extension(self.agent), (any_provider, self.provider)
        )
        with self.fake_center({"json": {"call_id": "pbx-any"}}) as sent:
            self.click()
        (request,) = sent
        self.assertEqual(json.loads(request.body)["agent"], "301")
        self.assertCallLogged("pbx-any", extension="301", user_id=self.agent)

    def test_call_back_from_a_call(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Wants a call back",
                "phone": "+84 903 555 111",
                "partner_id": self.partner.id,
                "user_id": self.agent.id,
            }
        )
        self.feed(
            [
                self.center.event("call.ringing", "in-1", agent="101"),
                self.center.event("call.ended", "in-1", agent="101"),
            ]
        )
        missed = self.assertCallLogged("in-1", lead_id=lead, outcome="missed")
        action = missed.with_user(self.agent).action_call_back()
        self.assertEqual(action["tag"], "crm_callcenter.click_to_call")
        params = action["params"]
        self.assertEqual(params["number"], CUSTOMER)
        with self.fake_center({"json": {"call_id": "pbx-back"}}):
            self.click(
                params["number"], res_model=params["res_model"], res_id=params["res_id"]
            )
        self.assertCallLogged("pbx-back", lead_id=lead, partner_id=self.partner)

    def test_call_buttons_of_lead_and_contact(self):
        action = self.partner.with_user(self.agent).action_callcenter_call()
        self.assertEqual(action["params"]["number"], "0903 555 111")
        self.assertEqual(action["params"]["res_model"], "res.partner")
        lead = self.env["crm.lead"].create(
            {"name": "No phone", "user_id": self.agent.id}
        )
        with self.assertRaisesRegex(UserError, "no phone number"):
            lead.with_user(self.agent).action_callcenter_call()

    def test_agent_state_tells_whether_the_agent_can_call(self):
        state = self.Call.with_user(self.agent).get_agent_state()
        self.assertTrue(state["can_click_to_call"])
        self.provider.generic_originate_url = False
        state = self.Call.with_user(self.agent).get_agent_state()
        self.assertFalse(state["can_click_to_call"])

    def test_json_rpc_call_as_the_web_client_does(self):
        self.authenticate(self.agent.login, self.agent.login)
        with self.fake_center({"json": {"call_id": 4242}}):
            result = self.make_jsonrpc_request(
                "/web/dataset/call_kw/crm.callcenter.call/action_click_to_call",
                {
                    "model": "crm.callcenter.call",
                    "method": "action_click_to_call",
                    "args": ["0903 555 111"],
                    "kwargs": {"res_model": "res.partner", "res_id": self.partner.id},
                },
            )
        self.assertEqual(result["status"], "calling")
        self.assertCallLogged("4242", user_id=self.agent, partner_id=self.partner)
