import json
from datetime import datetime, timedelta

from odoo.addons.crm_callcenter.tests.common import CallcenterCase
from odoo.tests import HttpCase, tagged

from .common import LocalHttpGateway

TOUR_REQUESTS_KEY = "crm_callcenter.tour_requests"  # see sms_tour.js
CALLER = "+84903555777"


@tagged("post_install", "-at_install")
class TestUiSendSms(HttpCase, CallcenterCase):
    """An agent texts the caller from the call card and from the call form.

    The call is popped by signed webhook requests the tour posts itself (as
    in crm_callcenter's screen pop tours). The SMS leaves through the
    company's generic HTTP gateway, a real server on 127.0.0.1 started here:
    the browser's requests are served by the test's server threads, where
    ``responses`` would not be in effect.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.caller = cls.env["res.partner"].create(
            {
                "name": "Lê Thị Nhắn Tin",
                "phone": "0903 555 777",
                "country_id": cls.vn.id,
            }
        )
        cls.gateway_server = LocalHttpGateway(price="0.07", parts=1).start()
        cls.addClassCleanup(cls.gateway_server.stop)
        cls.usd = cls.env.ref("base.USD")
        cls.gateway = cls.env["crm.callcenter.sms.gateway"].create(
            {
                "name": "Local HTTP",
                "gateway_type": "http",
                "http_url": cls.gateway_server.url,
                "http_auth_header": "Authorization",
                "http_auth_value": "Bearer local-token",
                "http_id_path": "data.id",
                "http_error_path": "error.message",
                "http_cost_path": "data.price",
                "http_parts_path": "data.parts",
                "sender": "ACME",
                "currency_id": cls.usd.id,
            }
        )
        cls.env.company.write(
            {
                "sms_provider": "crm_callcenter",
                "crm_callcenter_sms_gateway_id": cls.gateway.id,
                "crm_callcenter_sms_backup_gateway_id": False,
                # Quiet hours hold automatic messages only; keep it explicit.
                "crm_callcenter_sms_quiet_hours": False,
            }
        )

    def setUp(self):
        super().setUp()
        self.gateway_server.requests.clear()

    def _call_events(self, call_id, *states):
        # Recent times: the server only reloads live calls of the last hours.
        start = datetime.now().replace(microsecond=0) - timedelta(seconds=30)
        offsets = {"ringing": 0, "answered": 5, "ended": 25}
        extra = {"ended": {"hangup_cause": "NORMAL_CLEARING"}}
        return [
            self.center.event(
                f"call.{state}",
                call_id,
                at=start + timedelta(seconds=offsets[state]),
                agent="101",
                from_="0903555777",
                **extra.get(state, {}),
            )
            for state in states
        ]

    def _start_tour(self, tour_name, url="/odoo", signed_events=(), **data):
        webhook = f"/callcenter/webhook/{self.provider.webhook_token}"
        data["requests"] = [
            {"url": webhook, "body": body.decode(), "headers": headers}
            for body, headers in signed_events
        ]
        code = (
            f"localStorage.setItem({TOUR_REQUESTS_KEY!r}, {json.dumps(json.dumps(data))});"
            f"odoo.startTour({tour_name!r}, {json.dumps({'startUrl': url})});"
        )
        # The tour posts the center's requests without cookies (see
        # crm_callcenter's test_ui_screen_pop).
        self.http_request_allow_all = True
        self.start_tour(url, tour_name, login=self.agent.login, code=code)

    def assertSentOnce(self, text):
        """The gateway got one message to the caller; its log has the cost."""
        self.assertEqual(len(self.gateway_server.requests), 1, "one gateway request")
        _path, headers, body = self.gateway_server.requests[0]
        self.assertEqual(headers.get("Authorization"), "Bearer local-token")
        self.assertEqual(body["to"], CALLER)
        self.assertEqual(body["text"], text)
        self.assertEqual(body["from"], "ACME")
        log = self.env["crm.callcenter.sms.log"].search(
            [("provider_message_id", "=", "local-1")]
        )
        self.assertEqual(len(log), 1, "the message is logged")
        self.assertEqual(body["reference"], str(log.id), "the log is the reference")
        self.assertRecordValues(
            log,
            [
                {
                    "state": "sent",
                    "gateway_id": self.gateway.id,
                    "number": CALLER,
                    "body": text,
                    "cost": 0.07,
                    "currency_id": self.usd.id,
                    "parts": 1,
                    "res_model": "res.partner",
                    "res_id": self.caller.id,
                    "partner_id": self.caller.id,
                    "automatic": False,
                }
            ],
        )
        self.assertIn(
            text,
            self.caller.message_ids[:1].body,
            "the SMS is on the caller's chatter",
        )
        return log

    def test_sms_from_call_card(self):
        events = self._call_events("sms-card", "ringing", "answered")
        self._start_tour("crm_callcenter_sms_call_card", signed_events=events)
        call = self.assertCallLogged("sms-card", user_id=self.agent)
        log = self.assertSentOnce("Your taxi is on its way: white Vios 51A-123.45")
        self.assertEqual(log.create_uid, self.agent, "sent by the agent")
        self.assertEqual(log.call_id, call, "listed in the call's messages")

    def test_sms_from_call_form(self):
        # The form's button is tested, not the card: the answered event's pop
        # must not open the caller's record over the form while the tour runs.
        self.agent.callcenter_auto_open = False
        self.feed(self._call_events("sms-form", "ringing", "answered", "ended"))
        call = self.assertCallLogged(
            "sms-form", user_id=self.agent, partner_id=self.caller, state="ended"
        )
        self._start_tour(
            "crm_callcenter_sms_call_form", url=f"/odoo/crm.callcenter.call/{call.id}"
        )
        log = self.assertSentOnce("We will deliver your order tomorrow morning.")
        self.assertEqual(log.call_id, call, "listed in the call's messages")
