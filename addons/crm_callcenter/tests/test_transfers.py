from datetime import timedelta

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import BASE_TIME, CallcenterCase, load_migration

T0 = BASE_TIME


@tagged("post_install", "-at_install")
class TestTransfers(CallcenterCase):
    """Agent A answers, then transfers the caller to agent B (blind or
    attended: the center reports B's answer on the same call)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent_c = new_test_user(
            cls.env,
            login="cc_agent_c",
            name="Agent C",
            groups="crm_callcenter.crm_callcenter_group_agent",
        )

    def setUp(self):
        super().setUp()
        (self.agent | self.agent_b).callcenter_presence = "available"

    def ringing(self, call_id, ext="101", at=T0):
        return self.center.event("call.ringing", call_id, agent=ext, at=at)

    def answered(self, call_id, ext, seconds, **kw):
        return self.center.event(
            "call.answered",
            call_id,
            agent=ext,
            at=T0 + timedelta(seconds=seconds),
            **kw,
        )

    def ended(self, call_id, ext, seconds):
        return self.center.event(
            "call.ended",
            call_id,
            agent=ext,
            at=T0 + timedelta(seconds=seconds),
            hangup_cause="NORMAL_CLEARING",
        )

    def transferred_call(self, call_id):
        """A answers after 10 s, B after 60 s, the caller hangs up at 200 s."""
        return [
            self.ringing(call_id),
            self.answered(call_id, "101", 10),
            self.answered(call_id, "102", 60),
            self.ended(call_id, "102", 200),
        ]

    def test_transfer_moves_the_call_to_the_second_agent(self):
        ringing, answer_a, answer_b, end = self.transferred_call("tr-1")
        self.feed([ringing, answer_a])
        self.assertEqual(self.agent.callcenter_presence, "in_call")
        self.feed([answer_b])
        call = self.assertCallLogged(
            "tr-1",
            user_id=self.agent_b,
            extension="102",
            transfer_count=1,
            transferred_from_user_ids=self.agent,
        )
        # A is in wrap-up (free for the next call once it is over), B on the call.
        self.assertEqual(self.agent.callcenter_presence, "wrap_up")
        self.assertEqual(self.agent_b.callcenter_presence, "in_call")
        # A's card goes away; B's says whom the caller comes from.
        self.assertTrue(self.bus_payloads(self.agent)[-1]["closed"])
        (payload,) = self.bus_payloads(self.agent_b)
        self.assertEqual(payload["state"], "answered")
        self.assertEqual(payload["transferred_from"], "Agent A")
        self.assertEqual(payload["partner"]["id"], self.partner.id)

        self.feed([end])
        # The customer waited 10 s and talked 190 s, whoever with.
        self.assertRecordValues(
            call,
            [
                {
                    "outcome": "answered",
                    "answered_at": T0 + timedelta(seconds=10),
                    "answer_seconds": 10,
                    "billsec": 190,
                    "user_id": self.agent_b.id,
                }
            ],
        )
        self.assertEqual(self.agent_b.callcenter_presence, "wrap_up")

    def test_agents_before_the_transfer_see_and_log_the_call(self):
        self.feed(self.transferred_call("tr-log"))
        call = self.get_call("tr-log")
        Call = self.env["crm.callcenter.call"]
        # A finds it under My Calls, B too; C, who never had it, does not.
        for agent in (self.agent, self.agent_b):
            mine = [
                "|",
                ("user_id", "=", agent.id),
                ("transferred_from_user_ids", "in", agent.id),
            ]
            self.assertIn(call, Call.with_user(agent).search(mine))
        self.assertNotIn(call, Call.with_user(self.agent_c).search([]))
        with self.assertRaises(AccessError):
            call.with_user(self.agent_c).action_log_call()

        # A logs their part while in wrap-up: the note goes on the customer,
        # by A, and A is available again.
        self.assertEqual(self.agent.callcenter_presence, "wrap_up")
        call.with_user(self.agent)._log(
            self.env["crm.callcenter.disposition"], "Wants a quote, passed to sales"
        )
        self.assertEqual(self.agent.callcenter_presence, "available")
        message = self.partner.message_ids[0]
        self.assertEqual(message.author_id, self.agent.partner_id)
        self.assertIn("passed to sales", message.body)
        # B's wrap-up is B's own.
        self.assertEqual(self.agent_b.callcenter_presence, "wrap_up")

    def test_transfer_back_to_the_first_agent(self):
        call_id = "tr-back"
        self.feed(
            [
                self.ringing(call_id),
                self.answered(call_id, "101", 10),
                self.answered(call_id, "102", 60),
                self.answered(call_id, "101", 90),
            ]
        )
        self.assertCallLogged(
            call_id,
            user_id=self.agent,
            extension="101",
            transfer_count=2,
            transferred_from_user_ids=self.agent_b,
        )
        self.assertEqual(self.agent.callcenter_presence, "in_call")
        self.assertEqual(self.agent_b.callcenter_presence, "wrap_up")

    def test_out_of_order_delivery_gives_the_same_call(self):
        self.feed(self.transferred_call("tr-in-order"))
        ringing, answer_a, answer_b, end = self.transferred_call("tr-shuffled")
        # B's answer first, A's last, and A's once more under another id.
        self.feed([answer_b, end, ringing, answer_a])
        self.feed([self.answered("tr-shuffled", "101", 10)])
        fnames = [
            "user_id",
            "extension",
            "transfer_count",
            "transferred_from_user_ids",
            "answered_at",
            "billsec",
            "outcome",
        ]
        in_order = self.get_call("tr-in-order")
        shuffled = self.get_call("tr-shuffled")
        for fname in fnames:
            self.assertEqual(shuffled[fname], in_order[fname], fname)
        self.assertEqual(shuffled.user_id, self.agent_b)
        self.assertEqual(shuffled.transfer_count, 1)

    def test_repeated_answer_on_the_same_extension_is_no_transfer(self):
        call_id = "tr-repeat"
        self.feed(
            [
                self.ringing(call_id),
                self.answered(call_id, "101", 10),
                self.answered(call_id, "101", 11),
                self.ended(call_id, "101", 50),
            ]
        )
        call = self.assertCallLogged(call_id, user_id=self.agent, transfer_count=0)
        self.assertFalse(call.transferred_from_user_ids)
        self.assertFalse(self.bus_payloads(self.agent)[-1]["transferred_from"])

    def test_transfer_to_an_extension_of_no_agent(self):
        # Passed to a desk phone nobody logs in Odoo: the call stays with A,
        # who is the one to log it.
        call_id = "tr-desk"
        self.feed(
            [
                self.ringing(call_id),
                self.answered(call_id, "101", 10),
                self.answered(call_id, "555", 40),
            ]
        )
        call = self.assertCallLogged(
            call_id, user_id=self.agent, extension="555", transfer_count=1
        )
        self.assertFalse(call.transferred_from_user_ids)

    def test_ring_group_answer_is_no_transfer(self):
        call_id = "tr-group"
        self.feed(
            [
                self.ringing(call_id, "101"),
                self.ringing(call_id, "102"),
                self.answered(call_id, "102", 10),
            ]
        )
        call = self.assertCallLogged(call_id, user_id=self.agent_b, transfer_count=0)
        self.assertEqual(call.ringing_user_ids, self.agent)
        self.assertFalse(call.transferred_from_user_ids)

    def test_dashboard_counts_transferred_calls(self):
        self.feed(self.transferred_call("tr-dash-1"))
        self.feed(
            [
                self.ringing("tr-dash-2", at=T0 + timedelta(minutes=10)),
                self.center.event(
                    "call.answered",
                    "tr-dash-2",
                    agent="101",
                    at=T0 + timedelta(minutes=10, seconds=5),
                ),
                self.center.event(
                    "call.ended",
                    "tr-dash-2",
                    agent="101",
                    at=T0 + timedelta(minutes=12),
                ),
            ]
        )
        day = T0.date().isoformat()
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        totals = Call.with_context(tz="UTC").get_dashboard_data(day, day)["totals"]
        self.assertEqual(totals["answered"], 2)
        self.assertEqual(totals["transferred"], 1)
        self.assertEqual(totals["transfer_rate"], 0.5)

    def test_upgrade_gives_agents_the_calls_they_transferred(self):
        # The rule is noupdate: 19.0.1.2.0's migration rewrites the domain of
        # databases installed before (either earlier version), unless
        # someone changed it.
        migration = load_migration("19.0.1.2.0")
        rule = self.env.ref("crm_callcenter.crm_callcenter_call_rule_agent")
        self.feed(self.transferred_call("tr-upgrade"))
        call = self.get_call("tr-upgrade")
        for old in migration.OLD_DOMAINS:
            rule.domain_force = old
            self.env.flush_all()
            self.env.registry.clear_cache()
            self.assertFalse(call.with_user(self.agent).has_access("read"))
            migration.migrate(self.env.cr, "19.0.1.1.0")
            rule.invalidate_recordset()
            self.assertEqual(rule.domain_force, migration.NEW_DOMAIN)
            self.env.registry.clear_cache()
            self.assertTrue(call.with_user(self.agent).has_access("read"))

        custom = "[('user_id', '=', user.id), ('state', '!=', 'ringing')]"
        rule.domain_force = custom
        self.env.flush_all()
        migration.migrate(self.env.cr, "19.0.1.1.0")
        rule.invalidate_recordset()
        self.assertEqual(rule.domain_force, custom, "a customized rule is left alone")
