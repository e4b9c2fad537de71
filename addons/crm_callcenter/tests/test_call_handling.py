from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import BASE_TIME, CallcenterCase


@tagged("post_install", "-at_install")
class TestPresence(CallcenterCase):
    """Presence follows the agent's calls; the dialer reads it."""

    def available_agents(self):
        Users = self.env["res.users"]
        return Users.search(
            [
                ("id", "in", (self.agent | self.agent_b).ids),
                *Users._callcenter_available_domain(),
            ]
        )

    def test_agent_sets_presence_and_calls_move_it(self):
        self.provider.wrapup_seconds = 45
        Users = self.env["res.users"].with_user(self.agent)
        self.assertEqual(
            Users.callcenter_set_presence("available")["presence"], "available"
        )
        ringing, answered, ended = self.center.answered_call("pr-1")
        self.feed([ringing])
        self.assertEqual(self.agent.callcenter_presence, "available")
        self.feed([answered])
        self.assertEqual(self.agent.callcenter_presence, "in_call")
        self.assertNotIn(self.agent, self.available_agents())
        now = fields.Datetime.now()
        with freeze_time(now):
            self.feed([ended])
            self.assertEqual(self.agent.callcenter_presence, "wrap_up")
            self.assertEqual(
                self.agent.callcenter_wrapup_until, now + timedelta(seconds=45)
            )
            self.assertNotIn(self.agent, self.available_agents())
        with freeze_time(now + timedelta(seconds=46)):
            self.assertIn(self.agent, self.available_agents())
            self.env["res.users"]._cron_callcenter_wrapup_end()
            self.assertEqual(self.agent.callcenter_presence, "available")
        notified = [
            p["presence"]
            for p in self.bus_payloads(self.agent, "crm_callcenter/presence")
        ]
        self.assertEqual(notified, ["available", "in_call", "wrap_up", "available"])

    def test_agent_cannot_claim_call_states(self):
        Users = self.env["res.users"].with_user(self.agent)
        with self.assertRaises(UserError):
            Users.callcenter_set_presence("in_call")
        Users.callcenter_set_presence("away")
        self.assertEqual(self.agent.callcenter_presence, "away")
        self.assertNotIn(self.agent, self.available_agents())

    def test_logging_the_call_ends_wrap_up(self):
        self.feed(self.center.answered_call("pr-2"))
        self.assertEqual(self.agent.callcenter_presence, "wrap_up")
        call = self.get_call("pr-2").with_user(self.agent)
        call._log(self.env["crm.callcenter.disposition"], "ok")
        self.assertEqual(self.agent.callcenter_presence, "available")

    def test_managers_see_presence(self):
        self.env["res.users"].with_user(self.agent).callcenter_set_presence("available")
        action = self.env.ref("crm_callcenter.res_users_action_callcenter_presence")
        Users = self.env["res.users"].with_user(self.manager)
        rows = Users.search_read([("id", "=", self.agent.id)], ["callcenter_presence"])
        self.assertEqual(rows[0]["callcenter_presence"], "available")
        self.assertEqual(action.res_model, "res.users")


@tagged("post_install", "-at_install")
class TestCallHandling(CallcenterCase):
    """Seed 000: what the agent does with a call from its card."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source = cls.env["utm.source"].create({"name": "Hotline ad"})
        cls.team = cls.env["crm.team"].create({"name": "Inbound sales"})
        cls.did = cls.env["crm.callcenter.did"].create(
            {
                "name": "Ad line",
                "number": "028 3812 3456",
                "provider_id": cls.provider.id,
                "team_id": cls.team.id,
                "source_id": cls.source.id,
            }
        )
        cls.interested = cls.env.ref(
            "crm_callcenter.crm_callcenter_disposition_interested"
        )

    def ring_unknown(self, call_id, number="0912000777"):
        self.feed(
            [self.center.event("call.ringing", call_id, from_=number, agent="101")]
        )
        return self.get_call(call_id)

    def test_line_mapping_sets_team(self):
        self.assertEqual(self.did.number, "+842838123456")
        call = self.ring_unknown("ch-1")
        self.assertEqual(call.did_id, self.did)
        self.assertEqual(call.team_id, self.team)

    def test_create_lead_from_card_links_the_saved_lead(self):
        call = self.ring_unknown("ch-2").with_user(self.agent)
        action = call.action_create_lead()
        self.assertEqual(action["res_model"], "crm.lead")
        Lead = (
            self.env["crm.lead"].with_user(self.agent).with_context(**action["context"])
        )
        with Form(Lead) as form:
            self.assertEqual(form.phone.replace(" ", ""), "+84912000777")
            self.assertEqual(form.team_id, self.team)
            self.assertEqual(form.source_id, self.source)
            form.name = "Asked for a quote"
        lead = form.record
        self.assertEqual(lead.phone_sanitized, "+84912000777")
        self.assertEqual(call.lead_id, lead)
        self.assertEqual(lead.user_id, self.agent)

    def test_hidden_caller_gets_the_line_but_no_match_nor_lead(self):
        self.provider.create_lead_unknown = True
        # Records whose number field holds the same word are no match.
        self.env["res.partner"].create({"name": "Junk", "phone": "anonymous"})
        for number in ("anonymous", "Private", "0", "+7378742833"):
            with self.subTest(number=number):
                call = self.ring_unknown(f"ch-hidden-{number}", number=number)
                self.assertTrue(call.number_hidden)
                self.assertFalse(call.customer_number)
                self.assertFalse(call.partner_id or call.lead_id)
                self.assertFalse(call.candidate_partner_ids or call.candidate_lead_ids)
                self.assertEqual(call.did_id, self.did)
                self.assertEqual(call.team_id, self.team)
                self.assertEqual(call.display_name, "← Hidden number")

    def test_hidden_caller_card_and_actions(self):
        call = self.ring_unknown("ch-hidden-card", number="anonymous")
        (payload,) = self.bus_payloads(self.agent)
        self.assertTrue(payload["number_hidden"])
        self.assertEqual(payload["number"], "")
        # The agent may still make a lead of the call, without a number.
        context = call.with_user(self.agent).action_create_lead()["context"]
        self.assertEqual(context["default_name"], "Call from a hidden number")
        self.assertNotIn("default_phone", context)
        self.assertEqual(context["default_team_id"], self.team.id)
        self.feed(
            [self.center.event("call.ended", "ch-hidden-card", from_="anonymous")]
        )
        with self.assertRaisesRegex(UserError, "hid the number"):
            call.with_user(self.agent).action_call_back()
        # A shown number still fills the card as before.
        shown = self.ring_unknown("ch-shown-card")
        self.assertFalse(shown.number_hidden)
        self.assertEqual(shown.customer_number, "+84912000777")
        self.assertEqual(self.bus_payloads(self.agent)[-1]["number"], "+84912000777")

    def test_a_lead_saved_by_another_agent_is_not_linked(self):
        call = self.ring_unknown("ch-2b")
        context = call.with_user(self.agent).action_create_lead()["context"]
        lead = (
            self.env["crm.lead"]
            .with_user(self.agent_b)
            .with_context(**context)
            .create({"name": "Not theirs", "user_id": self.agent_b.id})
        )
        self.assertTrue(lead)
        self.assertFalse(call.lead_id)

    def test_open_falls_back_to_the_contact_when_the_lead_is_not_readable(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Agent B's deal",
                "type": "opportunity",
                "phone": "0903555111",
                "partner_id": self.partner.id,
                "user_id": self.agent_b.id,
            }
        )
        self.feed([self.center.event("call.ringing", "ch-9", agent="101")])
        call = self.get_call("ch-9").with_user(self.agent)
        self.assertEqual(call.lead_id, lead)
        # Agents are salespeople who see their own leads only.
        self.assertFalse(lead.with_user(self.agent).has_access("read"))
        action = call.action_open_record()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("res.partner", self.partner.id)
        )

    def test_another_agent_cannot_act_on_the_call(self):
        call = self.ring_unknown("ch-3")
        with self.assertRaises(AccessError):
            call.with_user(self.agent_b).action_create_lead()
        with self.assertRaises(AccessError):
            call.with_user(self.agent_b).action_log_call()

    def test_server_side_lead_for_unknown_callers(self):
        self.provider.create_lead_unknown = True
        call = self.ring_unknown("ch-4")
        self.assertTrue(call.lead_id)
        self.assertEqual(call.lead_id.phone, "+84912000777")
        self.assertEqual(call.lead_id.source_id, self.source)
        self.assertEqual(call.lead_id.team_id, self.team)
        # Known callers do not get a lead of their own.
        self.feed([self.center.event("call.ringing", "ch-4b", agent="101")])
        self.assertFalse(self.get_call("ch-4b").lead_id)
        self.assertEqual(self.get_call("ch-4b").partner_id, self.partner)
        # The next call of the same number finds the lead, not a second one.
        self.assertEqual(self.ring_unknown("ch-4c").lead_id, call.lead_id)

    def test_log_call_posts_on_the_chatter(self):
        lead = self.env["crm.lead"].create(
            {"name": "Test lead", "phone": "0903555111", "partner_id": self.partner.id}
        )
        self.feed(self.center.answered_call("ch-5"))
        call = self.get_call("ch-5")
        self.assertEqual(call.lead_id, lead)
        action = call.with_user(self.agent).action_log_call()
        wizard = Form(
            self.env[action["res_model"]]
            .with_user(self.agent)
            .with_context(**action["context"])
        )
        wizard.disposition_id = self.interested
        wizard.note = "Wants two units\ndelivered Friday"
        wizard.save().action_log()
        self.assertEqual(call.disposition_id, self.interested)
        self.assertEqual(call.logged_by_id, self.agent)
        message = lead.message_ids[0]
        self.assertEqual(message.author_id, self.agent.partner_id)
        self.assertIn("Interested", message.body)
        self.assertIn("Wants two units", message.body)
        self.assertIn(f'data-oe-id="{call.id}"', message.body)
        self.assertIn("1:20", message.body)

    def test_agent_chooses_among_candidates(self):
        twin = self.env["res.partner"].create(
            {"name": "Second contact", "phone": "+84903555111"}
        )
        self.feed([self.center.event("call.ringing", "ch-6", agent="101")])
        call = self.get_call("ch-6")
        self.assertEqual(
            call.candidate_partner_ids, (twin | self.partner) - call.partner_id
        )
        other = call.candidate_partner_ids
        action = call.with_user(self.agent).action_choose_record(
            "res.partner", other.id
        )
        self.assertEqual(action["res_id"], other.id)
        self.assertEqual(call.partner_id, other)
        self.assertNotIn(other, call.candidate_partner_ids)
        stranger = self.env["res.partner"].create({"name": "Stranger"})
        with self.assertRaises(UserError):
            call.with_user(self.agent).action_choose_record("res.partner", stranger.id)
        payloads = self.bus_payloads(self.agent)
        self.assertEqual(payloads[-1]["partner"]["id"], other.id)

    def test_calls_of_a_partner_are_listed_on_it(self):
        self.feed(self.center.answered_call("ch-7"))
        self.feed(
            self.center.answered_call("ch-8", start=BASE_TIME + timedelta(hours=2))
        )
        partner = self.partner.with_user(self.agent)
        self.assertEqual(partner.callcenter_call_count, 2)
        action = partner.action_view_callcenter_calls()
        self.assertEqual(
            self.env["crm.callcenter.call"]
            .with_user(self.agent)
            .search(action["domain"]),
            self.get_call("ch-7") | self.get_call("ch-8"),
        )
