import json
from datetime import datetime

from odoo.tests import tagged

from .test_dialer_calls import DialerHttpCase

TOUR_REQUESTS_KEY = "crm_telesales.tour_requests"  # see telesales_workspace_tour.js


@tagged("post_install", "-at_install")
class TestUiWorkspace(DialerHttpCase):
    def test_next_call_shows_the_data_calls_and_wraps_up(self):
        self.campaign.disposition_ids = self.order
        target = self.make_targets(
            self.campaign,
            "0903 555 111",
            partner_id=self.partner.id,
            payload={"Application": "A-1042", "Address": "12 Lê Lợi"},
        )
        now = datetime.now().replace(microsecond=0)
        common = {
            "direction": "outbound",
            "from_": "101",
            "to": target.phone,
            "agent": "101",
        }
        signed = [
            self.center.event("call.answered", "ui-ts-1", at=now, **common),
            self.center.event("call.ended", "ui-ts-1", at=now, **common),
        ]
        data = {
            "requests": [
                {
                    "url": f"/callcenter/webhook/{self.provider.webhook_token}",
                    "body": body.decode(),
                    "headers": headers,
                }
                for body, headers in signed
            ]
        }
        url = "/odoo/action-crm_telesales.crm_telesales_workspace_action"
        code = (
            f"localStorage.setItem({TOUR_REQUESTS_KEY!r}, {json.dumps(json.dumps(data))});"
            f"odoo.startTour('crm_telesales_workspace', {json.dumps({'startUrl': url})});"
        )
        self.http_request_allow_all = True
        with self.fake_center(
            {"json": {"call_id": "ui-ts-1"}}, passthru=("http://127.0.0.1",)
        ) as sent:
            self.start_tour(
                url, "crm_telesales_workspace", login=self.agent.login, code=code
            )
        self.env.invalidate_all()
        self.assertEqual(self.sent_to(sent), [("101", "+84903555111")])
        call = target.last_call_id
        self.assertEqual(call.external_call_id, "ui-ts-1")
        self.assertEqual((call.disposition_id, call.note), (self.order, "Two boxes"))
        self.assertEqual((target.state, target.result), ("done", "success"))
        self.assertEqual(target.disposition_id, self.order)
        self.assertEqual(target.attempts, 1)
