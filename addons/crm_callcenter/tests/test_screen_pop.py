from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

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


@tagged("post_install", "-at_install")
class TestRingGroups(CallcenterCase):
    """A queue or ring group rings several agents at once: each sees the
    caller while it rings, and the card goes away when someone answers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_c = new_test_user(
            cls.env,
            login="cc_agent_c",
            groups="crm_callcenter.crm_callcenter_group_agent",
        )

    def ring(self, call_id, *extensions, **data):
        # Now: a reload only lists the calls of the last hours.
        at = fields.Datetime.now()
        self.feed(
            [
                self.center.event("call.ringing", call_id, agent=ext, at=at, **data)
                for ext in extensions
            ]
        )
        return self.get_call(call_id)

    def states(self, user):
        return [(p["state"], p["closed"]) for p in self.bus_payloads(user)]

    def test_every_agent_it_rings_for_gets_the_card(self):
        call = self.ring("rg-1", "101", "102", "102")
        self.assertEqual(call.user_id, self.agent)
        self.assertEqual(call.ringing_user_ids, self.agent_b)
        self.assertEqual(self.states(self.agent), [("ringing", False)])
        # Once, whatever the center repeats.
        self.assertEqual(self.states(self.agent_b), [("ringing", False)])
        (payload,) = self.bus_payloads(self.agent_b)
        self.assertEqual(payload["partner"]["id"], self.partner.id)
        # A reload while it rings shows it too; while it rings the second
        # agent may act on it from the card.
        state = (
            self.env["crm.callcenter.call"].with_user(self.agent_b).get_agent_state()
        )
        self.assertEqual([c["call_id"] for c in state["calls"]], call.ids)
        self.assertEqual(
            call.with_user(self.agent_b).action_open_record()["res_id"], self.partner.id
        )

        self.feed([self.center.event("call.answered", "rg-1", agent="102")])
        self.assertEqual(call.user_id, self.agent_b)
        self.assertEqual(
            self.states(self.agent), [("ringing", False), ("answered", True)]
        )
        self.assertEqual(
            self.states(self.agent_b), [("ringing", False), ("answered", False)]
        )
        # Both still see the call that rang for them; only the one who
        # answered acts on it; agents it never rang for do not see it.
        self.assertEqual(call.ringing_user_ids, self.agent)
        self.assertEqual(call.with_user(self.agent).display_name, call.display_name)
        with self.assertRaises(AccessError):
            call.with_user(self.agent).action_log_call()
        call.with_user(self.agent_b).action_log_call()
        with self.assertRaises(AccessError):
            call.with_user(self.agent_c).check_access("read")
        self.assertFalse(
            self.env["crm.callcenter.call"]
            .with_user(self.agent_c)
            .search([("id", "=", call.id)])
        )

    def test_a_missed_call_closes_the_cards_of_the_others(self):
        self.ring("rg-2", "101", "102")
        self.feed([self.center.event("call.ended", "rg-2")])
        call = self.get_call("rg-2")
        self.assertTrue(call.is_missed)
        self.assertEqual(
            self.states(self.agent), [("ringing", False), ("ended", False)]
        )
        self.assertEqual(
            self.states(self.agent_b), [("ringing", False), ("ended", True)]
        )
        with self.assertRaises(AccessError):
            call.with_user(self.agent_b).action_create_lead()

    def test_an_unmapped_extension_leaves_the_call_to_the_next_agent(self):
        # 109 is nobody's extension: the agent it rings for next owns it.
        call = self.ring("rg-4", "109", "102")
        self.assertEqual(call.user_id, self.agent_b)
        self.assertEqual(call.extension, "102")
        self.assertFalse(call.ringing_user_ids)
        self.assertEqual(self.states(self.agent_b), [("ringing", False)])

    def test_a_late_ringing_of_an_answered_call_pops_nothing(self):
        self.feed(self.center.answered_call("rg-3")[:2])
        self.ring("rg-3", "102")
        self.assertFalse(self.get_call("rg-3").ringing_user_ids)
        self.assertEqual(self.bus_payloads(self.agent_b), [])

    def test_dashboard_counts_the_rings_each_agent_did_not_answer(self):
        self.env["crm.callcenter.extension"].create(
            {"name": "103", "provider_id": self.provider.id, "user_id": self.agent_c.id}
        )
        # 101 and 102 ring, 102 answers; 101 and 103 ring, 101 answers;
        # 101 and 102 ring, nobody answers.
        self.ring("rna-1", "101", "102", from_="0903000101")
        self.feed([self.center.event("call.answered", "rna-1", agent="102")])
        self.ring("rna-2", "101", "103", from_="0903000102")
        self.feed([self.center.event("call.answered", "rna-2", agent="101")])
        self.ring("rna-3", "101", "102", from_="0903000103")
        self.feed([self.center.event("call.ended", "rna-3")])
        calls = self.get_call("rna-1") | self.get_call("rna-2") | self.get_call("rna-3")
        self.assertEqual(calls.mapped("user_id"), self.agent_b | self.agent)
        today = calls[0].started_at.date().isoformat()  # in UTC, as asked below
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        data = Call.with_context(tz="UTC").get_dashboard_data(today, today, "agent")
        # Only this test's calls: other calls of today may exist.
        rows = {group["key"]: group for group in data["groups"]}
        unanswered = {
            user: rows[user.id]["rang_unanswered"]
            for user in (self.agent, self.agent_b, self.agent_c)
        }
        # A: rna-1 (B answered), rna-3 (missed, A's). B: rna-3 (rang too).
        # C: rna-2 (A answered), and a row of its own: no call is C's.
        self.assertEqual(unanswered, {self.agent: 2, self.agent_b: 1, self.agent_c: 1})
        self.assertEqual(rows[self.agent_c.id]["calls"], 0)
        self.assertEqual(
            Call.search(rows[self.agent_c.id]["domain"]), self.get_call("rna-2")
        )
