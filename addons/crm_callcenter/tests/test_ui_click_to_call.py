import json
from datetime import datetime, timedelta, timezone

from odoo.tests import tagged

from .test_click_to_call import ClickToCallCase

TOUR_REQUESTS_KEY = "crm_callcenter.tour_requests"  # see click_to_call_tour.js
NUMBER = "+84903555444"


@tagged("post_install", "-at_install")
class TestUiClickToCall(ClickToCallCase):
    """Click-to-call from the agent's browser; the center answers Odoo's
    originate requests at the HTTP transport (``responses``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Phạm Văn Gọi", "phone": "0903 555 444", "country_id": cls.vn.id}
        )

    def _start_tour(self, tour_name, url, login, signed_events=()):
        data = {
            "requests": [
                {
                    "url": f"/callcenter/webhook/{self.provider.webhook_token}",
                    "body": body.decode(),
                    "headers": headers,
                }
                for body, headers in signed_events
            ]
        }
        code = (
            f"localStorage.setItem({TOUR_REQUESTS_KEY!r}, {json.dumps(json.dumps(data))});"
            f"odoo.startTour({tour_name!r}, {json.dumps({'startUrl': url})});"
        )
        # The tour posts the center's webhooks without cookies, as a center does.
        self.http_request_allow_all = True
        self.start_tour(url, tour_name, login=login, code=code)

    def test_click_phone_of_contact_then_call_back_from_the_card(self):
        now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
        not_answered = self.center.event(
            "call.ended",
            "ui-c2c-1",
            at=now + timedelta(seconds=20),
            direction="outbound",
            from_="101",
            to=NUMBER,
            agent="101",
            hangup_cause="NO_ANSWER",
        )
        answers = ({"json": {"call_id": "ui-c2c-1"}}, {"json": {"call_id": "ui-c2c-2"}})
        # The browser's own requests to the test server and to Chrome go through.
        with self.fake_center(*answers, passthru=("http://127.0.0.1",)) as sent:
            self._start_tour(
                "crm_callcenter_click_to_call_partner",
                f"/odoo/res.partner/{self.customer.id}",
                self.agent.login,
                [not_answered],
            )
        self.assertEqual([json.loads(r.body)["number"] for r in sent], [NUMBER] * 2)
        self.assertCallLogged(
            "ui-c2c-1",
            state="ended",
            outcome="no_answer",
            user_id=self.agent,
            partner_id=self.customer,
        )
        # The call back from the card is about the same contact.
        self.assertCallLogged(
            "ui-c2c-2", state="ringing", user_id=self.agent, partner_id=self.customer
        )

    def test_manager_confirms_calling_a_blacklisted_lead(self):
        self.env["crm.callcenter.extension"].create(
            {"name": "103", "provider_id": self.provider.id, "user_id": self.manager.id}
        )
        lead = self.env["crm.lead"].create(
            {
                "name": "Do not call unless needed",
                "phone": "0903 555 444",
                "country_id": self.vn.id,
                "user_id": self.manager.id,
            }
        )
        self.env["phone.blacklist"].create({"number": NUMBER})
        answer = {"json": {"call_id": "ui-c2c-bl"}}
        with self.fake_center(answer, passthru=("http://127.0.0.1",)) as sent:
            self._start_tour(
                "crm_callcenter_click_to_call_blacklisted",
                f"/odoo/crm.lead/{lead.id}",
                self.manager.login,
            )
        self.assertEqual(len(sent), 1, "called once, after the confirmation")
        self.assertEqual(json.loads(sent[0].body)["agent"], "103")
        self.assertCallLogged("ui-c2c-bl", user_id=self.manager, lead_id=lead)
