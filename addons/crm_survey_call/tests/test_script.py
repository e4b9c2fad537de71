from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests.common import freeze_time

from .common import ScriptCase


@freeze_time("2026-11-23 10:00:00")
class TestScript(ScriptCase):
    def _lines(self, answer, question):
        return answer.user_input_line_ids.filtered(
            lambda line: line.question_id == question and not line.skipped
        )

    # ------------------------------------------------------------------
    # Which script, opening, prefill, resume
    # ------------------------------------------------------------------

    def test_script_of_call_campaign_then_did_then_provider(self):
        inbound = self.env["survey.survey"].create(
            {"title": "Hotline", "is_call_script": True}
        )
        line_script = self.env["survey.survey"].create(
            {"title": "Ad line", "is_call_script": True}
        )
        self.provider.script_id = inbound
        call = self.make_call()
        self.assertEqual(call.script_id, inbound)
        self.assertEqual(call.script_id, inbound)
        self.assertTrue(call._bus_payload(self.agent)["has_script"])
        did = self.env["crm.callcenter.did"].create(
            {
                "name": "Ads",
                "number": "+842838123456",
                "provider_id": self.provider.id,
                "script_id": line_script.id,
            }
        )
        self.feed([self.center.event("call.ringing", "script-did", agent="101")])
        did_call = self.get_call("script-did")
        self.assertEqual(did_call.did_id, did)
        self.assertEqual(did_call.script_id, line_script, "the line's script wins")
        did_call.telesales_target_id = self.target
        self.assertEqual(did_call.script_id, self.script, "a campaign's call")

    def test_no_script_is_a_clear_error(self):
        self.provider.script_id = False
        call = self.make_call()
        with self.assertRaisesRegex(UserError, "No call script"):
            call.with_user(self.agent).action_open_script()

    def test_open_links_call_partner_lead_and_prefills(self):
        call = self.make_target_call()
        self.lead.write({"priority": "2", "expected_revenue": 5000})
        answer = self.open_script(call, self.agent)
        self.assertRecordValues(
            answer,
            [
                {
                    "callcenter_call_id": call.id,
                    "telesales_target_id": self.target.id,
                    "telesales_campaign_id": self.campaign.id,
                    "lead_id": self.lead.id,
                    "partner_id": self.customer.id,
                    "agent_id": self.agent.id,
                }
            ],
        )
        data = answer.crm_survey_call_get_data()
        self.assertEqual(data["values"][self.q_city.id], "Huế")
        high = self.q_priority.suggested_answer_ids[1]
        self.assertEqual(data["values"][self.q_priority.id], high.id)
        self.assertEqual(data["values"][self.q_amount.id], 5000)
        self.assertEqual(
            [p["title"] for p in data["pages"]], ["Application", "Customer"]
        )
        interest = data["pages"][0]["questions"][0]
        self.assertEqual(interest["id"], self.q_interest.id)
        amount = data["pages"][0]["questions"][1]
        self.assertEqual(amount["triggering_answer_ids"], [self.a_yes.id])

    def test_resume_same_answer(self):
        call = self.make_target_call()
        first = self.open_script(call, self.agent)
        first.crm_survey_call_save({self.q_city.id: "Vinh"}, page_id=self.page_2.id)
        again = self.open_script(call, self.agent)
        self.assertEqual(again, first, "returning to the call resumes its answer")
        data = again.crm_survey_call_get_data()
        self.assertEqual(data["last_page_id"], self.page_2.id)
        self.assertEqual(data["values"][self.q_city.id], "Vinh")
        # From the target form too, and the answer opened before the call
        # (preview) is the one the call continues.
        self.assertEqual(self.open_script(self.target, self.agent), first)
        other_target = self.target.copy({"phone": "0903555999"})
        preview = self.open_script(other_target, self.agent)
        self.assertFalse(preview.callcenter_call_id)
        call_2 = self.make_call("script-t2")
        call_2.telesales_target_id = other_target
        self.assertEqual(self.open_script(call_2, self.agent), preview)
        self.assertEqual(preview.callcenter_call_id, call_2)

    # ------------------------------------------------------------------
    # Branching
    # ------------------------------------------------------------------

    def test_branching_hides_and_clears_other_branch(self):
        answer = self.open_script(self.make_target_call(), self.agent)
        answer.crm_survey_call_save(
            {self.q_interest.id: [self.a_yes.id], self.q_amount.id: 12000}
        )
        self.assertTrue(self._lines(answer, self.q_amount))
        self.assertEqual(self.lead.expected_revenue, 12000)
        # The customer changes their mind: the amount branch is gone, and an
        # answer to a question of a hidden branch is neither checked nor kept.
        result = answer.crm_survey_call_save(
            {
                self.q_interest.id: [self.a_later.id],
                self.q_amount.id: "not validated: hidden",
                self.q_callback.id: "2026-11-25 02:00:00",
            }
        )
        self.assertEqual(result["errors"], {})
        self.assertFalse(self._lines(answer, self.q_amount))
        self.assertTrue(self._lines(answer, self.q_callback))

    def test_finish_requires_visible_mandatory_answers(self):
        answer = self.open_script(self.make_target_call(), self.agent)
        result = answer.crm_survey_call_save({self.q_city.id: "Vinh"}, finish=True)
        self.assertEqual(list(result["errors"]), [str(self.q_interest.id)])
        self.assertNotEqual(answer.state, "done")
        result = answer.crm_survey_call_save(
            {self.q_interest.id: [self.a_no.id]}, finish=True
        )
        self.assertEqual(result["errors"], {})
        self.assertEqual(answer.state, "done")

    def test_partial_saves_allowed_without_going_back(self):
        """Core only checks mandatory answers on surveys without "go back":
        a script is saved as the call goes on, whatever that option."""
        self.script.users_can_go_back = False
        answer = self.open_script(self.make_target_call(), self.agent)
        result = answer.crm_survey_call_save(
            {self.q_interest.id: [], self.q_city.id: "Vinh"}, page_id=self.page_1.id
        )
        self.assertEqual(result["errors"], {})
        self.assertEqual(self.lead.city, "Vinh")
        result = answer.crm_survey_call_save({self.q_interest.id: []}, finish=True)
        self.assertIn(str(self.q_interest.id), result["errors"])

    def test_bad_input(self):
        answer = self.open_script(self.make_target_call(), self.agent)
        with self.assertRaisesRegex(UserError, "not part of the script"):
            answer.crm_survey_call_save({self.page_1.id + 999999: "x"})
        result = answer.crm_survey_call_save(
            {self.q_interest.id: [self.q_priority.suggested_answer_ids[0].id]}
        )
        self.assertIn(
            "not one of the choices", result["errors"][str(self.q_interest.id)]
        )
        result = answer.crm_survey_call_save(
            {self.q_interest.id: [self.a_yes.id, self.a_no.id]}
        )
        self.assertIn("only select one", result["errors"][str(self.q_interest.id)])

    # ------------------------------------------------------------------
    # Actions and results
    # ------------------------------------------------------------------

    def test_actions_run_exactly_once(self):
        call = self.make_target_call()
        answer = self.open_script(call, self.agent)
        mails_before = self.env["mail.mail"].search_count([])
        result = answer.crm_survey_call_save(
            {self.q_interest.id: [self.a_yes.id], self.q_amount.id: 9000}
        )
        self.assertEqual(len(result["actions"]), 4, result["actions"])
        self.assertEqual(self.lead.stage_id, self.stage_won_over)
        self.assertEqual(self.target.result, "success")
        self.assertTrue(answer.script_success)
        sent = self.lead.message_ids.filtered(
            lambda m: m.subject == "Documents for your application"
        )
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent.partner_ids, self.customer)
        self.assertGreater(self.env["mail.mail"].search_count([]), mails_before)
        activity = self.lead.activity_ids.filtered(
            lambda a: a.summary == "Prepare the offer"
        )
        self.assertEqual(activity.user_id, self.agent)
        # The agent saves again, and once more after changing the amount.
        self.lead.stage_id = self.env.ref("crm.stage_lead1")
        for amount in (9000, 9500):
            result = answer.crm_survey_call_save(
                {self.q_interest.id: [self.a_yes.id], self.q_amount.id: amount}
            )
            self.assertEqual(result["actions"], [])
        self.assertEqual(len(answer.action_log_ids), 4)
        self.assertNotEqual(self.lead.stage_id, self.stage_won_over, "not re-run")
        self.assertEqual(
            len(
                self.lead.message_ids.filtered(
                    lambda m: m.subject == "Documents for your application"
                )
            ),
            1,
        )
        self.assertEqual(
            len(
                self.lead.activity_ids.filtered(
                    lambda a: a.summary == "Prepare the offer"
                )
            ),
            1,
        )
        # The claim itself refuses a second run of the same action.
        self.assertFalse(
            self.env["crm.survey.call.action.log"]._claim(answer, self.action_stage)
        )
        self.assertEqual(self.campaign.script_success_count, 1)
        self.assertEqual(self.campaign.script_answer_count, 1)

    def test_callback_at_the_given_time_sticks_to_agent(self):
        answer = self.open_script(self.make_target_call(), self.agent)
        answer.crm_survey_call_save(
            {
                self.q_interest.id: [self.a_later.id],
                self.q_callback.id: "2026-11-26 03:00:00",
            }
        )
        self.assertRecordValues(
            self.target,
            [
                {
                    "result": "callback",
                    "state": "rescheduled",
                    "next_attempt_at": datetime(2026, 11, 26, 3, 0),
                    "sticky_user_id": self.agent.id,
                }
            ],
        )
        self.assertFalse(answer.script_success)
        self.assertEqual(self.campaign.script_success_count, 0)

    def test_callback_without_time_uses_campaign_delay(self):
        self.campaign.retry_callback_minutes = 120
        answer = self.open_script(self.make_target_call(), self.agent)
        answer.crm_survey_call_save({self.q_interest.id: [self.a_later.id]})
        self.assertEqual(self.target.next_attempt_at, datetime(2026, 11, 23, 12, 0))

    def test_refused_then_call_end_keeps_result(self):
        call = self.make_target_call()
        self.target.state = "in_call"
        answer = self.open_script(call, self.agent)
        answer.crm_survey_call_save({self.q_interest.id: [self.a_no.id]})
        self.assertEqual(self.target.result, "refused")
        self.feed(
            self.center.answered_call("script-t1", agent="101", from_="0903555444")[2:]
        )
        self.assertEqual(call.state, "ended")
        self.assertRecordValues(self.target, [{"result": "refused", "state": "done"}])

    def test_target_actions_skipped_without_target(self):
        answer = self.open_script(self.make_call(), self.agent)
        result = answer.crm_survey_call_save({self.q_interest.id: [self.a_no.id]})
        self.assertEqual(result["errors"], {})
        self.assertFalse(answer.action_log_ids)

    def test_campaign_results_actions(self):
        answer = self.open_script(self.make_target_call(), self.agent)
        answer.crm_survey_call_save({self.q_interest.id: [self.a_no.id]})
        action = self.campaign.action_view_script_statistics()
        lines = self.env["survey.user_input.line"].search(
            action["domain"] + [("question_id", "=", self.q_interest.id)]
        )
        self.assertEqual(lines.suggested_answer_id, self.a_no)
        action = self.campaign.action_view_script_answers()
        self.assertEqual(self.env["survey.user_input"].search(action["domain"]), answer)

    def test_empty_fields_are_not_prefilled(self):
        self.lead.write({"city": False, "expected_revenue": 0})
        answer = self.open_script(self.make_target_call(), self.agent)
        values = answer.crm_survey_call_get_data()["values"]
        self.assertNotIn(self.q_city.id, values)
        self.assertNotIn(self.q_amount.id, values)
        answer.crm_survey_call_save({self.q_interest.id: [self.a_no.id]})
        self.assertFalse(self.lead.city, "an unanswered question writes nothing")

    def test_agent_works_on_a_lead_of_another_salesperson(self):
        """The target hands the agent a lead they cannot read by themselves."""
        self.lead.user_id = self.manager
        self.assertFalse(self.lead.with_user(self.agent).has_access("read"))
        answer = self.open_script(self.target, self.agent)
        self.assertEqual(
            answer.crm_survey_call_get_data()["values"][self.q_city.id], "Huế"
        )
        answer.crm_survey_call_save(
            {self.q_interest.id: [self.a_yes.id], self.q_amount.id: 700}
        )
        self.assertEqual(self.lead.expected_revenue, 700)
        self.assertEqual(self.lead.stage_id, self.stage_won_over)
        note = self.lead.message_ids.filtered(lambda m: "Call script" in (m.body or ""))
        self.assertEqual(note.author_id, self.agent.partner_id)
