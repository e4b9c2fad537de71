from datetime import datetime

from odoo.tests.common import freeze_time

from .common import ScriptCase


@freeze_time("2026-11-23 10:00:00")
class TestWorkspaceScript(ScriptCase):
    """The "Next call" workspace names the script answer shown beside the
    target: the one the target's Script button opens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign.state = "running"
        cls.Target = cls.env["crm.telesales.target"].with_user(cls.agent)

    def current_script(self):
        target = self.Target.telesales_current()["target"]
        self.assertEqual(target["id"], self.target.id)
        return target["script"]

    def test_preview_starts_the_answer_only_when_opened(self):
        self.target.write({"state": "dialing", "user_id": self.agent.id})
        script = self.current_script()
        self.assertEqual(script, {"title": "Loan follow-up", "user_input_id": False})
        self.assertFalse(self.target.script_answer_ids, "no empty answer on preview")
        action = self.target.with_user(self.agent).action_open_script()
        answer_id = action["params"]["user_input_id"]
        self.assertEqual(self.current_script()["user_input_id"], answer_id)
        # The call is placed: the answer read in preview goes on with it.
        call = self.make_target_call()
        self.target.write({"state": "in_call", "last_call_id": call.id})
        self.assertEqual(self.current_script()["user_input_id"], answer_id)
        self.assertEqual(self.target.script_answer_ids.callcenter_call_id, call)

    def test_in_call_answer_is_started_and_resumed(self):
        call = self.make_target_call()
        self.target.write(
            {"state": "in_call", "user_id": self.agent.id, "last_call_id": call.id}
        )
        answer_id = self.current_script()["user_input_id"]
        answer = self.env["survey.user_input"].browse(answer_id)
        self.assertEqual(answer.callcenter_call_id, call)
        self.assertEqual(answer.telesales_target_id, self.target)
        self.assertEqual(answer.agent_id, self.agent)
        self.assertEqual(self.current_script()["user_input_id"], answer_id)
        self.assertEqual(len(self.target.script_answer_ids), 1)

    def test_finished_script_stays_shown_until_the_wrap_up(self):
        call = self.make_target_call()
        self.target.write(
            {"state": "in_call", "user_id": self.agent.id, "last_call_id": call.id}
        )
        answer = self.env["survey.user_input"].browse(
            self.current_script()["user_input_id"]
        )
        result = answer.with_user(self.agent).crm_survey_call_save(
            {str(self.q_interest.id): [self.a_no.id]}, finish=True
        )
        self.assertFalse(result["errors"])
        self.assertEqual(answer.state, "done")
        self.feed(
            [
                self.center.event(
                    "call.ended", "script-t1", agent="101", at=datetime(2026, 11, 23, 9)
                )
            ]
        )
        self.assertEqual(call.state, "ended")
        self.assertEqual(self.target.state, "done")
        # Waiting for the wrap-up: the same, finished answer, not a new one.
        self.assertEqual(self.current_script()["user_input_id"], answer.id)
        action = self.target.with_user(self.agent).action_open_script()
        self.assertEqual(action["params"]["user_input_id"], answer.id)
        self.assertEqual(len(self.target.script_answer_ids), 1)

    def test_campaign_without_script(self):
        self.campaign.script_id = False
        self.target.write({"state": "dialing", "user_id": self.agent.id})
        self.assertIs(self.current_script(), False)
