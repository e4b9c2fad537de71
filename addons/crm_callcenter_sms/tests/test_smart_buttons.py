from datetime import timedelta

from odoo.addons.crm_callcenter.tests.common import CallcenterCase


class TestSmartButtons(CallcenterCase):
    """*Messages* on a contact and a lead: their messages, as the user may
    see them (an agent only those of their own calls)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.feed(cls, cls.center.answered_call("smart-1"))
        cls.call = cls.get_call(cls, "smart-1")
        cls.lead = cls.env["crm.lead"].create(
            {"name": "Airport transfer", "partner_id": cls.partner.id}
        )
        cls.call.lead_id = cls.lead
        other = cls.env["res.partner"].create({"name": "Someone Else"})
        Log = cls.env["crm.callcenter.sms.log"]
        cls.from_call, cls.by_hand, cls.on_lead, _other = Log.create(
            [
                # Confirmation of the agent's call.
                {"number": "+84903555111", "partner_id": cls.partner.id,
                 "call_id": cls.call.id, "res_model": "crm.callcenter.call",
                 "res_id": cls.call.id},
                # Sent by a manager from the contact.
                {"number": "+84903555111", "partner_id": cls.partner.id,
                 "res_model": "res.partner", "res_id": cls.partner.id},
                # Sent from the lead, no call.
                {"number": "+84903555111", "res_model": "crm.lead",
                 "res_id": cls.lead.id},
                {"number": "+84903555999", "partner_id": other.id},
            ]
        )  # fmt: skip

    def open_messages(self, record):
        action = record.action_view_crm_callcenter_sms_logs()
        return (
            self.env["crm.callcenter.sms.log"]
            .with_user(record.env.user)
            .search(action["domain"])
        )

    def test_manager_sees_all_messages_of_the_customer(self):
        partner = self.partner.with_user(self.manager)
        lead = self.lead.with_user(self.manager)
        self.assertEqual(partner.crm_callcenter_sms_log_count, 2)
        self.assertEqual(self.open_messages(partner), self.from_call | self.by_hand)
        self.assertEqual(lead.crm_callcenter_sms_log_count, 2)
        self.assertEqual(self.open_messages(lead), self.from_call | self.on_lead)

    def test_agent_sees_the_messages_of_their_calls(self):
        partner = self.partner.with_user(self.agent)
        lead = self.lead.with_user(self.agent)
        self.assertEqual(partner.crm_callcenter_sms_log_count, 1)
        self.assertEqual(self.open_messages(partner), self.from_call)
        self.assertEqual(lead.crm_callcenter_sms_log_count, 1)
        self.assertEqual(self.open_messages(lead), self.from_call)

    def test_agents_see_the_messages_of_a_call_they_transferred(self):
        # Agent A answered (101), then passed the caller to agent B (102).
        self.feed(
            [
                self.center.event(
                    "call.answered",
                    "smart-1",
                    agent="102",
                    at=self.call.answered_at + timedelta(seconds=30),
                )
            ]
        )
        self.assertEqual(self.call.user_id, self.agent_b)
        Log = self.env["crm.callcenter.sms.log"]
        for agent in (self.agent, self.agent_b):
            self.assertEqual(
                Log.with_user(agent).search([("call_id", "=", self.call.id)]),
                self.from_call,
            )
