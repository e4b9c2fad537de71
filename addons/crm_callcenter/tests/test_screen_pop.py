from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import CallcenterCase


@tagged("post_install", "-at_install")
class TestScreenPop(HttpCase, CallcenterCase):
    """The webhook pops the call card in the browser of the call's agent only."""

    def post(self, signed):
        body, headers = signed
        response = self.url_open(
            f"/callcenter/webhook/{self.provider.webhook_token}",
            data=body,
            headers=headers,
            timeout=30,
        )
        self.assertEqual(response.status_code, 200, response.text)

    def test_ringing_pops_the_card_for_the_agent_only(self):
        self.post(self.center.event("call.ringing", "pop-1", agent="101"))
        payloads = self.bus_payloads(self.agent)
        self.assertEqual(len(payloads), 1)
        payload = payloads[0]
        call = self.get_call("pop-1")
        self.assertEqual(payload["call_id"], call.id)
        self.assertEqual(payload["state"], "ringing")
        self.assertEqual(payload["number"], "+84903555111")
        self.assertEqual(payload["name"], self.partner.display_name)
        self.assertEqual(
            payload["partner"], {"id": self.partner.id, "name": self.partner.name}
        )
        self.assertEqual(
            payload["candidates"],
            [
                {
                    "model": "res.partner",
                    "id": self.partner.id,
                    "name": self.partner.name,
                }
            ],
        )
        self.assertFalse(payload["closed"])
        self.assertEqual(self.bus_payloads(self.agent_b), [])
        self.assertEqual(self.bus_payloads(self.manager), [])

    def test_each_state_change_notifies_and_duplicates_do_not(self):
        ringing, answered, ended = self.center.answered_call("pop-2")
        for signed in (ringing, answered, answered, ended):
            self.post(signed)
        states = [p["state"] for p in self.bus_payloads(self.agent)]
        self.assertEqual(states, ["ringing", "answered", "ended"])

    def test_payload_carries_ids_and_display_strings_only(self):
        self.post(self.center.event("call.ringing", "pop-3", agent="101"))
        (payload,) = self.bus_payloads(self.agent)

        def leaves(value):
            if isinstance(value, dict):
                for item in value.values():
                    yield from leaves(item)
            elif isinstance(value, list):
                for item in value:
                    yield from leaves(item)
            else:
                yield value

        for leaf in leaves(payload):
            self.assertIsInstance(leaf, (int, str, bool, type(None)))

    def test_answered_elsewhere_closes_the_card_of_the_first_agent(self):
        self.post(self.center.event("call.ringing", "pop-4", agent="101"))
        self.post(self.center.event("call.answered", "pop-4", agent="102"))
        first = self.bus_payloads(self.agent)
        self.assertEqual([p["closed"] for p in first], [False, True])
        second = self.bus_payloads(self.agent_b)
        self.assertEqual(
            [(p["state"], p["closed"]) for p in second], [("answered", False)]
        )

    def test_unknown_caller_card_has_no_match_and_auto_open_preference(self):
        self.agent.callcenter_auto_open = False
        self.post(
            self.center.event("call.ringing", "pop-5", agent="101", from_="0912000999")
        )
        (payload,) = self.bus_payloads(self.agent)
        self.assertEqual(payload["name"], "")
        self.assertFalse(payload["lead"])
        self.assertFalse(payload["partner"])
        self.assertEqual(payload["candidates"], [])
        self.assertFalse(payload["auto_open"])

    def test_agent_state_lists_live_calls_after_a_reload(self):
        now = fields.Datetime.now()
        self.post(self.center.event("call.ringing", "pop-6", agent="101", at=now))
        state = self.env["crm.callcenter.call"].with_user(self.agent).get_agent_state()
        self.assertEqual(
            [c["call_id"] for c in state["calls"]], self.get_call("pop-6").ids
        )
        other = (
            self.env["crm.callcenter.call"].with_user(self.agent_b).get_agent_state()
        )
        self.assertEqual(other["calls"], [])
