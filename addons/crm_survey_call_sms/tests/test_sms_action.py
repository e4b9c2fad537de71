from odoo.addons.crm_survey_call.tests.common import ScriptCase


class TestSmsAction(ScriptCase):
    def test_answer_sends_sms_once(self):
        template = self.env["sms.template"].create(
            {
                "name": "Call-back confirmation",
                "model_id": self.env.ref("crm.model_crm_lead").id,
                "body": "We will call you back, {{ object.partner_id.name }}.",
            }
        )
        self.env["crm.survey.call.action"].create(
            {
                "question_id": self.q_interest.id,
                "answer_id": self.a_later.id,
                "action_type": "sms_template",
                "sms_template_id": template.id,
            }
        )
        answer = self.open_script(self.make_target_call(), self.agent)
        for _save in range(2):
            answer.crm_survey_call_save({self.q_interest.id: [self.a_later.id]})
        if "crm.callcenter.sms.log" in self.env:
            # crm_callcenter_sms installed: its sender schedules the message
            # (gateways, blacklist, cost), once for this answer and action.
            logs = self.env["crm.callcenter.sms.log"].search(
                [("dedup_key", "=like", f"crm_survey_call:{answer.id}:%")]
            )
            self.assertEqual(len(logs), 1, "one SMS however often the agent saves")
            self.assertRecordValues(
                logs,
                [
                    {
                        "kind": "sms",
                        "number": "+84903555444",
                        "sms_template_id": template.id,
                        "state": "scheduled",
                    }
                ],
            )
            return
        sms = self.env["sms.sms"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(sms), 1, "one SMS however often the agent saves")
        self.assertEqual(sms.number, "+84903555444")
        self.assertEqual(sms.body, "We will call you back, Phạm Thị Lan.")
        self.assertEqual(sms.state, "outgoing", "queued for the SMS cron")
