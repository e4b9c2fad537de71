import json
from datetime import datetime, timedelta

from odoo.addons.crm_callcenter.tests.test_click_to_call import ClickToCallCase
from odoo.exceptions import UserError
from odoo.tests import tagged

from .dialer_common import DialerCase


class DialerHttpCase(ClickToCallCase, DialerCase):
    """Calls placed through the generic center's Originate URL (faked at the
    HTTP transport with ``responses``), its events posted back through the
    webhook with real HTTP."""

    def events(self, call_id, *steps, agent="101", to=None, correlation_id=None):
        common = {"direction": "outbound", "from_": agent or "800", "to": to}
        if agent:
            common["agent"] = agent
        if correlation_id:
            common["correlation_id"] = correlation_id
        now = datetime.now().replace(microsecond=0)
        signed = []
        for step in steps:
            extra = {"outcome": step} if step in ("busy", "no_answer") else {}
            kind = "call.ended" if extra or step == "ended" else f"call.{step}"
            signed.append(self.center.event(kind, call_id, at=now, **common, **extra))
        return signed

    def post_all(self, signed):
        for item in signed:
            self.post(item)
        self.env.invalidate_all()

    def run_dialer(self):
        # The dialer picks in transactions of its own (here: the test's
        # cursor), which must see what the test wrote.
        self.env.flush_all()
        self.Dialer._cron_dial()

    def sent_to(self, sent):
        return [
            (json.loads(r.body)["agent"], json.loads(r.body)["number"]) for r in sent
        ]


@tagged("post_install", "-at_install")
class TestDialerCalls(DialerHttpCase):
    def test_preview_continue_calls_and_the_events_move_the_target(self):
        target = self.make_targets(
            self.campaign, "0903 555 111", partner_id=self.partner.id
        )
        self.assertEqual(self.next_for(self.agent), target)
        # Agent B cannot call the target agent A previews.
        with (
            self.fake_center({"json": {"call_id": "x"}}) as sent,
            self.assertRaisesRegex(UserError, "cannot be called now"),
        ):
            self.click(
                target.phone,
                user=self.agent_b,
                res_model="crm.telesales.target",
                res_id=target.id,
            )
        self.assertFalse(sent)
        # Continue: the workspace calls through the agent's extension.
        with self.fake_center({"json": {"call_id": "ts-1"}}) as sent:
            result = self.click(
                target.phone, res_model="crm.telesales.target", res_id=target.id
            )
        self.assertEqual(self.sent_to(sent), [("101", "+84903555111")])
        call = self.Call.browse(result["call_id"])
        self.assertEqual(call.telesales_target_id, target)
        self.assertEqual(call.telesales_campaign_id, self.campaign)
        self.assertEqual(call.partner_id, self.partner)
        self.assertEqual((target.state, target.last_call_id), ("dialing", call))
        data = self.Target.with_user(self.agent).telesales_current()["target"]
        self.assertFalse(data["can_preview"], "called: no second call from the preview")

        ringing, answered, ended = self.events(
            "ts-1", "ringing", "answered", "ended", to=target.phone
        )
        self.post_all([ringing, answered])
        self.assertEqual((target.state, target.user_id), ("in_call", self.agent))
        self.post_all([ended])
        self.assertEqual((target.state, target.result), ("done", "reached"))
        self.assertEqual(target.attempts, 1)
        self.assertEqual(self.calls(), call, "the events landed on the placed call")

    def test_progressive_dials_for_the_longest_waiting_agent_first(self):
        self.campaign.mode = "progressive"
        low, high, mid = self.make_targets(
            self.campaign, "0903000071", "0903000072", "0903000073"
        )
        high.priority, mid.priority = 9, 5
        now = datetime.now()
        self.agent.sudo().callcenter_presence_since = now - timedelta(minutes=1)
        self.agent_b.sudo().callcenter_presence_since = now - timedelta(minutes=7)
        answers = ({"json": {"call_id": "p-1"}}, {"json": {"call_id": "p-2"}})
        with self.fake_center(*answers) as sent:
            self.run_dialer()
            self.env.invalidate_all()
            # Both agents are busy now: another run dials nobody.
            self.run_dialer()
        self.assertEqual(self.sent_to(sent), [("102", high.phone), ("101", mid.phone)])
        self.assertEqual((high.state, high.user_id), ("dialing", self.agent_b))
        self.assertEqual((mid.state, mid.user_id), ("dialing", self.agent))
        self.assertEqual(low.state, "pending")
        self.assertEqual(high.last_call_id.external_call_id, "p-1")
        # B's workspace shows the target being called.
        payloads = self.bus_payloads(self.agent_b, "crm_telesales/target")
        self.assertIn(high.id, [p["target_id"] for p in payloads])

        # B's customer does not answer: B is free again, the center refuses
        # the next call, then places the one after.
        self.post_all(self.events("p-1", "no_answer", agent="102", to=high.phone))
        self.assertEqual((high.state, high.result), ("scheduled", "no_answer"))
        refused = {"status": 409, "json": {"error": "Trunk full"}}
        with self.fake_center(refused) as sent:
            self.run_dialer()
        self.env.invalidate_all()
        self.assertEqual(self.sent_to(sent), [("102", low.phone)])
        self.assertEqual(
            (low.state, low.result, low.attempts), ("scheduled", "failed", 1)
        )
        self.assertFalse(low.user_id)
        self.assertFalse(self.Call.search([("telesales_target_id", "=", low.id)]))

    def test_predictive_rings_the_queue_and_the_answer_names_the_agent(self):
        self.campaign.write(
            {
                "mode": "predictive",
                "queue_extension": "800",
                "pacing_ratio": 2.0,
                "max_lines": 3,
            }
        )
        targets = self.make_targets(self.campaign, *(f"090300008{i}" for i in range(5)))
        # Two free agents, two lines each until answers are measured, but
        # never more than the campaign's three lines.
        answers = [{"json": {"call_id": f"q-{i}"}} for i in range(1, 4)]
        with self.fake_center(*answers) as sent:
            self.run_dialer()
        self.env.invalidate_all()
        self.assertEqual([agent for agent, _n in self.sent_to(sent)], ["800"] * 3)
        first, second, third = targets[:3]
        self.assertEqual(targets.mapped("state"), ["dialing"] * 3 + ["pending"] * 2)
        self.assertFalse(first.user_id, "the center chooses the agent")

        # The center connects the first answer to agent B (extension 102).
        self.post_all(self.events("q-1", "answered", agent="102", to=first.phone))
        self.assertEqual((first.state, first.user_id), ("in_call", self.agent_b))
        self.post_all(self.events("q-1", "ended", agent="102", to=first.phone))
        self.assertEqual((first.state, first.result), ("done", "reached"))
        # The second customer answers while no agent is free: abandoned,
        # called again later.
        self.post_all(
            self.events("q-2", "answered", "ended", agent=None, to=second.phone)
        )
        self.assertEqual((second.state, second.result), ("scheduled", "abandoned"))
        self.assertGreater(second.next_attempt_at, datetime.now())
        self.post_all(self.events("q-3", "no_answer", agent=None, to=third.phone))
        self.assertEqual((third.state, third.result), ("scheduled", "no_answer"))
        self.assertEqual(self.campaign.abandon_rate, 50.0)

    def test_predictive_call_back_rings_its_agent_not_the_queue(self):
        self.campaign.write(
            {"mode": "predictive", "queue_extension": "800", "max_lines": 1}
        )
        callback = self.make_targets(self.campaign, "0903000099")
        callback.sticky_user_id = self.agent
        # Agent B only: agent A is away, their call-back waits for them.
        self.agent.sudo()._callcenter_update_presence("away")
        with self.fake_center({"json": {"call_id": "s-0"}}) as sent:
            self.run_dialer()
        self.assertFalse(sent, "another agent's call-back is not dialed")
        self.agent.sudo()._callcenter_update_presence("available")
        self.agent_b.sudo()._callcenter_update_presence("away")
        with self.fake_center({"json": {"call_id": "s-1"}}) as sent:
            self.run_dialer()
        self.env.invalidate_all()
        self.assertEqual(self.sent_to(sent), [("101", callback.phone)])
        self.assertEqual((callback.state, callback.user_id), ("dialing", self.agent))

    def test_call_button_of_the_target_form(self):
        target = self.make_targets(self.campaign, "0903 555 777")
        action = target.with_user(self.agent).action_call()
        self.assertEqual(action["tag"], "crm_callcenter.click_to_call")
        self.assertEqual(
            action["params"],
            {
                "number": "+84903555777",
                "res_model": "crm.telesales.target",
                "res_id": target.id,
            },
        )
        # What the web client then does with these parameters.
        with self.fake_center({"json": {"call_id": "ts-form"}}) as sent:
            result = self.click(**action["params"])
        self.assertEqual(self.sent_to(sent), [("101", "+84903555777")])
        self.assertEqual(
            self.Call.browse(result["call_id"]).telesales_target_id, target
        )
        self.assertEqual(target.state, "dialing")
        blocked = self.make_targets(self.campaign, "0903 555 778")
        blocked.state = "do_not_call"
        with self.assertRaisesRegex(UserError, "never called"):
            blocked.with_user(self.agent).action_call()
