from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.addons.crm_callcenter.tests.common import (
    BASE_TIME,
    SECRET,
    FakeContactCenter,
    make_center,
)
from odoo.addons.crm_callcenter.tools.providers import get_adapter
from odoo.tests import HttpCase, tagged
from odoo.tests.common import freeze_time

from .common import GatewayMock, SmsGatewayMixin, form

CALLER = "+84903555111"


@tagged("post_install", "-at_install")
class TestCallMessages(SmsGatewayMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vn = cls.env.ref("base.vn")
        cls.provider, cls.agent, _agent_b, cls.partner = make_center(
            cls.env,
            {
                "name": "Hotline",
                "code": "generic",
                "default_country_id": cls.vn.id,
                "webhook_secret": SECRET,
            },
            ("sms_agent_a", "Agent A"),
            ("sms_agent_b", "Agent B"),
            {
                "name": "Trần Văn Khách",
                "phone": "0903 555 111",
                "email": "khach@example.com",
                "country_id": cls.vn.id,
            },
        )
        SmsTemplate = cls.env["sms.template"]
        call_model = cls.env["ir.model"]._get_id("crm.callcenter.call")
        cls.missed_template = SmsTemplate.create(
            {
                "name": "Missed call",
                "model_id": call_model,
                "body": "Sorry we missed your call from {{ object.customer_number }}. "
                "We will call you back.",
            }
        )
        cls.order_template = SmsTemplate.create(
            {
                "name": "Order confirmed",
                "model_id": call_model,
                "body": "Your taxi order is confirmed.",
            }
        )
        cls.order = cls.env.ref("crm_callcenter.crm_callcenter_disposition_order")
        cls.provider.write(
            {
                "missed_sms_template_id": cls.missed_template.id,
                "sms_rule_ids": [
                    (
                        0,
                        0,
                        {
                            "disposition_ids": [(6, 0, cls.order.ids)],
                            "sms_template_id": cls.order_template.id,
                        },
                    )
                ],
            }
        )
        cls.use_gateways(cls.smsc)
        # Quiet hours have their own tests; the demo company enables them.
        cls.company.crm_callcenter_sms_quiet_hours = False
        cls.center = FakeContactCenter()
        cls.adapter = get_adapter("generic")

    def post(self, signed):
        body, headers = signed
        return self.url_open(
            f"/callcenter/webhook/{self.provider.webhook_token}",
            data=body,
            headers=headers,
            timeout=30,
        )

    def feed(self, signed_events):
        """In-process intake (for frozen time), as the webhook does."""
        for body, headers in signed_events:
            self.env["crm.callcenter.event"]._receive(
                self.provider,
                headers["webhook-id"],
                body.decode(),
                self.adapter.parse(body, headers),
            )

    def missed(self, call_id, start=BASE_TIME):
        return [
            self.center.event("call.ringing", call_id, at=start, agent="101"),
            self.center.event("call.ended", call_id, at=start + timedelta(seconds=30)),
        ]

    def run_missed_cron(self):
        """The call-back cron that follows a missed call (it queues the
        missed-call messages)."""
        with patch.object(self.env.cr, "commit"):
            self.env["crm.callcenter.call"]._cron_register_missed()

    def call(self, call_id):
        return self.env["crm.callcenter.call"].search(
            [("provider_id", "=", self.provider.id), ("external_call_id", "=", call_id)]
        )

    def send_due(self):
        """Run the send cron against a faked SMSC; the requests it made."""
        with GatewayMock(assert_all_requests_are_fired=False) as rsps:
            self.smsc_ok(rsps, msg_id=501)
            self.env["crm.callcenter.sms.log"]._send_scheduled()
        return [form(c.request) for c in rsps.calls]

    def test_missed_call_sms_once_despite_replayed_events(self):
        ringing, ended = self.missed("miss-1")
        with GatewayMock() as rsps:
            rsps.add_passthru(self.base_url())
            for signed in (ringing, ended, ended):
                self.assertEqual(self.post(signed).status_code, 200)
            # The same end event again under another delivery id.
            replay = self.center.event(
                "call.ended", "miss-1", at=BASE_TIME + timedelta(seconds=30)
            )
            self.assertEqual(self.post(replay).status_code, 200)
            gateway_calls = [c for c in rsps.calls if "smsc.ru" in c.request.url]
            self.assertFalse(gateway_calls, "the webhook never waits for a gateway")
            self.run_missed_cron()
            self.run_missed_cron()
            gateway_calls = [c for c in rsps.calls if "smsc.ru" in c.request.url]
            self.assertFalse(gateway_calls, "the call-back cron only schedules")
        call = self.call("miss-1")
        self.assertTrue(call.is_missed)
        log = self.logs(call_id=call.id)
        self.assertEqual(len(log), 1)
        self.assertEqual(log.state, "scheduled")
        self.assertEqual(log.sms_template_id, self.missed_template)

        sent = self.send_due()
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["phones"], CALLER)
        self.assertEqual(
            sent[0]["mes"],
            f"Sorry we missed your call from {CALLER}. We will call you back.",
        )
        self.assertRecordValues(
            log, [{"state": "sent", "provider_message_id": "501", "cost": 2.40}]
        )
        # Posted on the customer's chatter.
        self.assertIn("We will call you back", self.partner.message_ids[:1].body or "")
        self.assertFalse(self.send_due(), "nothing is sent twice")

    def test_blacklisted_caller_gets_nothing(self):
        self.env["phone.blacklist"].sudo().add(CALLER)
        for signed in self.missed("miss-bl"):
            self.assertEqual(self.post(signed).status_code, 200)
        self.run_missed_cron()
        log = self.logs(call_id=self.call("miss-bl").id)
        self.assertEqual((log.state, log.failure_type), ("skipped", "blacklist"))
        self.assertFalse(self.send_due())

    def test_blacklisted_before_the_send_gets_nothing(self):
        self.feed(self.missed("miss-bl2"))
        self.run_missed_cron()
        log = self.logs(call_id=self.call("miss-bl2").id)
        self.assertEqual(log.state, "scheduled")
        self.env["phone.blacklist"].sudo().add(CALLER)
        self.assertFalse(self.send_due())
        self.assertEqual((log.state, log.failure_type), ("skipped", "blacklist"))

    def test_answered_call_with_order_disposition_is_confirmed_once(self):
        for signed in self.center.answered_call("ans-1"):
            self.assertEqual(self.post(signed).status_code, 200)
        call = self.call("ans-1")
        self.assertFalse(self.logs(call_id=call.id), "no disposition yet")
        call.with_user(self.agent)._log(self.order, "Taxi to the airport")
        call.with_user(self.agent)._log(self.order, "Corrected note")
        log = self.logs(call_id=call.id)
        self.assertEqual(len(log), 1)
        self.assertEqual(log.sms_template_id, self.order_template)
        sent = self.send_due()
        self.assertEqual([s["mes"] for s in sent], ["Your taxi order is confirmed."])

    def test_other_disposition_sends_nothing(self):
        for signed in self.center.answered_call("ans-2"):
            self.post(signed)
        call = self.call("ans-2")
        info = self.env.ref("crm_callcenter.crm_callcenter_disposition_info")
        call.with_user(self.agent)._log(info, "")
        self.assertFalse(self.logs(call_id=call.id))

    def test_missed_call_email_respects_opt_out(self):
        mail_template = self.env["mail.template"].create(
            {
                "name": "Missed call e-mail",
                "model_id": self.env["ir.model"]._get_id("crm.callcenter.call"),
                "subject": "We missed your call",
                "body_html": "<p>We will call you back.</p>",
            }
        )
        self.provider.missed_mail_template_id = mail_template
        self.env["mail.blacklist"].sudo()._add("khach@example.com")
        self.feed(self.missed("miss-mail"))
        self.run_missed_cron()
        logs = self.logs(call_id=self.call("miss-mail").id)
        mail_log = logs.filtered(lambda log: log.kind == "mail")
        self.assertEqual((mail_log.state, mail_log.failure_type), ("skipped", "optout"))
        self.assertEqual(
            logs.filtered(lambda log: log.kind == "sms").state, "scheduled"
        )

    def test_quiet_hours_defer_to_the_callers_morning(self):
        self.company.write(
            {
                "crm_callcenter_sms_quiet_hours": True,
                "crm_callcenter_sms_quiet_start": 21.0,
                "crm_callcenter_sms_quiet_end": 8.0,
            }
        )
        self.partner.tz = "Asia/Ho_Chi_Minh"
        late = datetime(2026, 3, 2, 16, 0)  # 23:00 in Ho Chi Minh City
        with freeze_time(late):
            self.feed(self.missed("miss-night", start=late))
            self.run_missed_cron()
            log = self.logs(call_id=self.call("miss-night").id)
            # 08:00 local the next morning.
            self.assertEqual(log.scheduled_at, datetime(2026, 3, 3, 1, 0))
            self.assertFalse(self.send_due(), "not sent at night")
        with freeze_time(datetime(2026, 3, 3, 0, 59)):
            self.assertFalse(self.send_due())
        with freeze_time(datetime(2026, 3, 3, 1, 0)):
            self.assertEqual(len(self.send_due()), 1)
        self.assertEqual(log.state, "sent")

    def test_quiet_hours_use_the_number_country_without_partner_tz(self):
        self.company.write({"crm_callcenter_sms_quiet_hours": True})
        Log = self.env["crm.callcenter.sms.log"]
        nobody = self.env["res.partner"]
        # 02:00 UTC = 09:00 in Vietnam (outside) but 05:00 in Moscow (inside).
        now = datetime(2026, 3, 2, 2, 0)
        self.assertEqual(Log._after_quiet_hours(self.company, CALLER, nobody, now), now)
        self.assertEqual(
            Log._after_quiet_hours(self.company, "+74951234567", nobody, now),
            datetime(2026, 3, 2, 5, 0),
        )

    def test_agent_sends_sms_from_the_call_with_lead_templates(self):
        for signed in self.center.answered_call("ans-ui"):
            self.post(signed)
        call = self.call("ans-ui").with_user(self.agent)
        action = call.action_send_sms()
        self.assertEqual(action["res_model"], "sms.composer")
        composer = (
            self.env["sms.composer"]
            .with_user(self.agent)
            .with_context(**action["context"])
            .create({"body": "Your driver arrives in 5 minutes"})
        )
        self.assertEqual(composer.res_model, "res.partner")
        self.assertEqual(composer.recipient_single_number_itf, CALLER)
        with GatewayMock() as rsps:
            self.smsc_ok(rsps, msg_id=777)
            composer.action_send_sms()
        self.assertEqual(form(rsps.calls[0].request)["phones"], CALLER)
        log = self.logs(provider_message_id="777")
        self.assertEqual((log.res_model, log.res_id), ("res.partner", self.partner.id))

    def test_server_action_sends_once_per_record(self):
        partner_template = self.env["sms.template"].create(
            {
                "name": "Script answer",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "body": "Here is the brochure you asked for.",
            }
        )
        action = self.env["ir.actions.server"].create(
            {
                "name": "Brochure",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "state": "crm_callcenter_message",
                "crm_callcenter_sms_template_id": partner_template.id,
                "crm_callcenter_automatic": False,
            }
        )
        ctx = {"active_model": "res.partner", "active_ids": self.partner.ids}
        action.with_context(**ctx).run()
        action.with_context(**ctx).run()
        log = self.logs(res_model="res.partner", res_id=self.partner.id)
        self.assertEqual(len(log), 1)
        self.assertEqual([s["mes"] for s in self.send_due()], [partner_template.body])
