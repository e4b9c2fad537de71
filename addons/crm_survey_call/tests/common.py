"""A branching call script, a telesales campaign using it and a call."""

from odoo import Command
from odoo.addons.crm_callcenter.tests.common import CallcenterCase


class ScriptCase(CallcenterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        Question = env["survey.question"]
        cls.script = env["survey.survey"].create(
            {
                "title": "Loan follow-up",
                "is_call_script": True,
                "access_mode": "token",
                "questions_layout": "page_per_section",
                "users_can_go_back": True,
            }
        )
        cls.page_1 = Question.create(
            {
                "survey_id": cls.script.id,
                "title": "Application",
                "is_page": True,
                "question_type": False,
                "sequence": 1,
            }
        )
        cls.q_interest = cls._question(
            "Still interested?",
            "simple_choice",
            2,
            answers=["Yes", "Later", "No"],
            constr_mandatory=True,
        )
        cls.a_yes, cls.a_later, cls.a_no = cls.q_interest.suggested_answer_ids
        cls.q_amount = cls._question(
            "Amount?",
            "numerical_box",
            3,
            crm_field="crm.lead:expected_revenue",
            triggering_answer_ids=[Command.link(cls.a_yes.id)],
        )
        cls.q_callback = cls._question(
            "Call back when?",
            "datetime",
            4,
            triggering_answer_ids=[Command.link(cls.a_later.id)],
        )
        cls.page_2 = Question.create(
            {
                "survey_id": cls.script.id,
                "title": "Customer",
                "is_page": True,
                "question_type": False,
                "sequence": 10,
            }
        )
        cls.q_city = cls._question("City?", "char_box", 11, crm_field="crm.lead:city")
        cls.q_priority = cls._question(
            "Urgency?",
            "simple_choice",
            12,
            answers=["Low", "High"],
            crm_field="crm.lead:priority",
        )
        cls.stage_won_over = env["crm.stage"].create({"name": "Interested (script)"})
        cls.template = env["mail.template"].create(
            {
                "name": "Documents list",
                "model_id": env.ref("crm.model_crm_lead").id,
                "subject": "Documents for your application",
                "body_html": "<p>Please send your ID.</p>",
            }
        )
        Action = env["crm.survey.call.action"]
        cls.action_success = Action.create(
            {
                "question_id": cls.q_interest.id,
                "answer_id": cls.a_yes.id,
                "action_type": "target_result",
                "target_result": "success",
            }
        )
        cls.action_stage = Action.create(
            {
                "question_id": cls.q_interest.id,
                "answer_id": cls.a_yes.id,
                "action_type": "lead_stage",
                "stage_id": cls.stage_won_over.id,
            }
        )
        cls.action_mail = Action.create(
            {
                "question_id": cls.q_interest.id,
                "answer_id": cls.a_yes.id,
                "action_type": "mail_template",
                "mail_template_id": cls.template.id,
            }
        )
        cls.action_callback = Action.create(
            {
                "question_id": cls.q_interest.id,
                "answer_id": cls.a_later.id,
                "action_type": "target_result",
                "target_result": "callback",
                "callback_question_id": cls.q_callback.id,
            }
        )
        cls.action_refused = Action.create(
            {
                "question_id": cls.q_interest.id,
                "answer_id": cls.a_no.id,
                "action_type": "target_result",
                "target_result": "refused",
            }
        )
        cls.action_activity = Action.create(
            {
                "question_id": cls.q_amount.id,
                "action_type": "activity",
                "activity_type_id": env.ref("mail.mail_activity_data_call").id,
                "activity_summary": "Prepare the offer",
            }
        )
        # Inbound calls of the center show the script too.
        cls.provider.script_id = cls.script
        cls.customer = env["res.partner"].create(
            {
                "name": "Phạm Thị Lan",
                "email": "lan@example.com",
                "phone": "0903 555 444",
                "country_id": cls.vn.id,
            }
        )
        cls.lead = env["crm.lead"].create(
            {
                "name": "Loan APP-1",
                "partner_id": cls.customer.id,
                "city": "Huế",
                "user_id": cls.agent.id,
            }
        )
        cls.campaign = env["crm.telesales.campaign"].create(
            {
                "name": "Loan follow-up",
                "provider_id": cls.provider.id,
                "script_id": cls.script.id,
                "user_ids": [Command.link(cls.agent.id)],
            }
        )
        cls.target = env["crm.telesales.target"].create(
            {
                "campaign_id": cls.campaign.id,
                "lead_id": cls.lead.id,
                "partner_id": cls.customer.id,
                "phone": "0903555444",
            }
        )

    @classmethod
    def _question(cls, title, qtype, sequence, answers=(), **vals):
        return cls.env["survey.question"].create(
            {
                "survey_id": cls.script.id,
                "title": title,
                "question_type": qtype,
                "sequence": sequence,
                "suggested_answer_ids": [
                    Command.create({"value": value, "sequence": i})
                    for i, value in enumerate(answers)
                ],
                **vals,
            }
        )

    def make_call(self, call_id="script-1", agent="101", from_="0903555444"):
        """An answered inbound call from the customer, through the inbox."""
        self.feed(self.center.answered_call(call_id, agent=agent, from_=from_)[:2])
        return self.get_call(call_id)

    def make_target_call(self, call_id="script-t1"):
        call = self.make_call(call_id)
        call.telesales_target_id = self.target
        return call

    def open_script(self, record, user):
        action = record.with_user(user).action_open_script()
        self.assertEqual(action["tag"], "crm_survey_call.script")
        return (
            self.env["survey.user_input"]
            .with_user(user)
            .browse(action["params"]["user_input_id"])
        )
