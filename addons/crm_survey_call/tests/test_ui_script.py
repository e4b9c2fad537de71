import json
from datetime import datetime, timedelta

from odoo.tests import HttpCase, tagged

from .common import ScriptCase

TOUR_REQUESTS_KEY = "crm_survey_call.tour_requests"  # see script_tour.js


@tagged("post_install", "-at_install")
class TestUiScript(HttpCase, ScriptCase):
    def test_call_pops_script_answers_update_lead(self):
        """Webhook → card → Script → answers → save → lead updated."""
        self.lead.phone = "0903 555 444"
        self.agent.callcenter_auto_open = False
        start = datetime.now().replace(microsecond=0) - timedelta(seconds=20)
        events = [
            self.center.event(
                f"call.{state}",
                "tour-script",
                at=start + timedelta(seconds=offset),
                agent="101",
                from_="0903555444",
            )
            for state, offset in (("ringing", 0), ("answered", 5))
        ]
        url = f"/callcenter/webhook/{self.provider.webhook_token}"
        data = {
            "requests": [
                {"url": url, "body": body.decode(), "headers": headers}
                for body, headers in events
            ]
        }
        code = (
            f"localStorage.setItem({TOUR_REQUESTS_KEY!r}, "
            f"{json.dumps(json.dumps(data))});"
            "odoo.startTour('crm_survey_call_script', {startUrl: '/odoo'});"
        )
        self.http_request_allow_all = True
        self.start_tour(
            "/odoo", "crm_survey_call_script", login=self.agent.login, code=code
        )
        call = self.get_call("tour-script")
        self.assertEqual(call.lead_id, self.lead)
        answer = call.script_answer_ids
        self.assertEqual(len(answer), 1)
        self.assertEqual(answer.state, "done")
        self.assertRecordValues(
            self.lead,
            [
                {
                    "expected_revenue": 15000,
                    "city": "Đà Nẵng",
                    "stage_id": self.stage_won_over.id,
                }
            ],
        )
        self.assertTrue(
            self.lead.activity_ids.filtered(lambda a: a.summary == "Prepare the offer")
        )

    def test_next_call_shows_the_script_beside_the_target(self):
        """Next call: the target in call with its script beside → answers →
        save → reload resumes → lead updated."""
        self.agent.callcenter_auto_open = False
        self.campaign.state = "running"
        call = self.make_target_call("tour-ws-script")
        self.target.write(
            {"state": "in_call", "user_id": self.agent.id, "last_call_id": call.id}
        )
        self.start_tour(
            "/odoo/action-crm_telesales.crm_telesales_workspace_action",
            "crm_survey_call_workspace_script",
            login=self.agent.login,
        )
        answer = self.target.script_answer_ids
        self.assertEqual(len(answer), 1, "the reload resumed the same answer")
        self.assertEqual(answer.callcenter_call_id, call)
        self.assertEqual(answer.last_displayed_page_id, self.page_2)
        self.assertRecordValues(
            self.lead, [{"expected_revenue": 15000, "city": "Đà Nẵng"}]
        )
        self.assertEqual(self.target.result, "success")
