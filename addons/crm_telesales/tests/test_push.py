import json
import time
from datetime import timedelta
from unittest.mock import patch

import requests

from odoo import fields
from odoo.addons.crm_callcenter.tools import signature
from odoo.exceptions import UserError
from odoo.tests import HttpCase, freeze_time, tagged

from .intake_common import CUSTOMER, DIALER_URL, SECRET, TelesalesIntakeCase

NOW = fields.Datetime.from_string("2026-03-02 09:00:00")


def accept_all(doc):
    return {"json": {"accepted": [task["task_id"] for task in doc["tasks"]]}}


@tagged("post_install", "-at_install")
class TestPushMode(HttpCase, TelesalesIntakeCase):
    """Push mode: batches to the center's dialer (faked with ``responses`` at
    the HTTP boundary), and the center's call events through the webhook."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider.generic_dialer_url = DIALER_URL
        cls.cron = cls.env.ref("crm_telesales.ir_cron_crm_telesales_push")

    def add_targets(self, count, campaign=None, **vals):
        campaign = campaign or self.campaign
        return self.Target.create(
            [
                {
                    "campaign_id": campaign.id,
                    "phone": f"+849870{index:05d}",
                    "next_attempt_at": NOW - timedelta(minutes=1),
                    **vals,
                }
                for index in range(count)
            ]
        )

    def start(self):
        with self.fake_dialer({"status": 500}) as received:
            self.campaign.action_start()
        self.assertFalse(received, "the button never talks to the center itself")

    def run_cron(self):
        # The cron commits its progress after each batch; the test's
        # transaction must stay open.
        with patch.object(self.env.cr, "commit", lambda: None):
            self.env["crm.telesales.campaign"]._cron_push_targets()
        self.env.invalidate_all()

    def post_event(self, event_type, call_id, **data):
        body, headers = self.center.event(
            event_type, call_id, direction="outbound", from_="101", **data
        )
        response = self.url_open(
            f"/callcenter/webhook/{self.provider.webhook_token}",
            data=body,
            headers=headers,
            timeout=30,
        )
        self.assertEqual(response.status_code, 200, response.text)

    # ------------------------------------------------------------------

    def test_start_needs_a_center_with_a_dialer(self):
        self.provider.generic_dialer_url = False
        with self.assertRaisesRegex(UserError, "Dialer URL"):
            self.campaign.action_start()

    @freeze_time(NOW)
    def test_start_wakes_the_cron_and_batches_are_signed(self):
        self.add_targets(150)
        triggers = self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", self.cron.id)]
        )
        self.start()
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]),
            triggers,
        )
        with self.fake_dialer(accept_all) as received:
            self.run_cron()
        self.assertEqual([len(doc["tasks"]) for _r, doc in received], [100, 50])
        request, doc = received[0]
        self.assertEqual(doc["campaign"]["ref"], f"odoo-telesales-{self.campaign.id}")
        task = doc["tasks"][0]
        self.assertEqual(
            set(task),
            {"task_id", "number", "name", "priority", "not_before", "agent", "data"},
        )
        self.assertTrue(
            signature.verify(
                SECRET,
                request.headers["webhook-id"],
                request.headers["webhook-timestamp"],
                request.headers["webhook-signature"],
                request.body,
                int(time.time()),
            )
        )
        targets = self.targets()
        self.assertEqual(set(targets.mapped("state")), {"dialing"})
        self.assertEqual(set(targets.mapped("push_state")), {"accepted"})
        with self.fake_dialer(accept_all) as received:
            self.run_cron()
        self.assertFalse(received, "accepted targets are not sent twice")

    @freeze_time(NOW)
    def test_partial_rejection_is_recorded_per_target(self):
        targets = self.add_targets(3)
        self.start()
        refs = [target._dialer_task_ref() for target in targets]
        answer = {
            "json": {
                "accepted": refs[:2],
                "rejected": [{"task_id": refs[2], "error": "number on the DNC list"}],
            }
        }
        with self.fake_dialer(answer):
            self.run_cron()
        self.assertEqual(targets.mapped("state"), ["dialing", "dialing", "rejected"])
        self.assertEqual(targets[2].reject_reason, "number on the DNC list")
        self.assertEqual(targets[2].push_state, "rejected")
        self.assertFalse(self.campaign.push_error)

    @freeze_time(NOW)
    def test_rejection_reason_with_nul_is_stored_replaced(self):
        """JSON can carry "\\u0000", which PostgreSQL cannot store."""
        (target,) = self.add_targets(1)
        self.start()
        ref = target._dialer_task_ref()
        answer = {"json": {"rejected": [{"task_id": ref, "error": "DNC\x00 list"}]}}
        with self.fake_dialer(answer):
            self.run_cron()
        self.assertEqual(
            (target.state, target.reject_reason), ("rejected", "DNC\ufffd list")
        )

    @freeze_time(NOW)
    def test_unanswered_tasks_are_sent_again_later(self):
        targets = self.add_targets(2)
        self.start()
        answer = {"json": {"accepted": [targets[0]._dialer_task_ref()]}}
        with self.fake_dialer(answer):
            self.run_cron()
        self.assertEqual(targets.mapped("state"), ["dialing", "pending"])
        self.assertIn("1 of 2", self.campaign.push_error)
        with (
            freeze_time(NOW + timedelta(minutes=2)),
            self.fake_dialer(accept_all) as received,
        ):
            self.run_cron()
        self.assertEqual(
            [task["task_id"] for task in received[0][1]["tasks"]],
            [targets[1]._dialer_task_ref()],
        )
        self.assertEqual(targets.mapped("state"), ["dialing", "dialing"])

    @freeze_time(NOW)
    def test_server_error_then_retry_with_backoff(self):
        targets = self.add_targets(2)
        self.start()
        with self.fake_dialer({"status": 503, "json": {"error": "overloaded"}}):
            self.run_cron()
        self.assertEqual(set(targets.mapped("state")), {"pending"})
        self.assertIn("overloaded", self.campaign.push_error)
        self.assertEqual(self.campaign.push_retry_at, NOW + timedelta(minutes=1))
        # Not before the delay...
        with self.fake_dialer(accept_all) as received:
            self.run_cron()
        self.assertFalse(received)
        # ...a second failure doubles it...
        with freeze_time(NOW + timedelta(minutes=1)), self.fake_dialer({"status": 502}):
            self.run_cron()
        self.assertEqual(self.campaign.push_failures, 2)
        self.assertEqual(self.campaign.push_retry_at, NOW + timedelta(minutes=3))
        # ...and the same batch goes through once the center is back.
        with (
            freeze_time(NOW + timedelta(minutes=3)),
            self.fake_dialer(accept_all) as received,
        ):
            self.run_cron()
        self.assertEqual(len(received), 1)
        self.assertEqual(set(targets.mapped("state")), {"dialing"})
        self.assertFalse(self.campaign.push_error)
        self.assertEqual(self.campaign.push_failures, 0)

    @freeze_time(NOW)
    def test_timeout_is_retried(self):
        targets = self.add_targets(1)
        self.start()
        with self.fake_dialer({"body": requests.exceptions.ReadTimeout()}):
            self.run_cron()
        self.assertEqual(self.campaign.push_error, "no answer within 7 s")
        self.assertTrue(self.campaign.push_retry_at)
        self.assertEqual(targets.state, "pending")

    @freeze_time(NOW)
    def test_refusal_stops_until_restarted(self):
        targets = self.add_targets(1)
        self.start()
        with self.fake_dialer({"status": 401, "json": {"error": "bad signature"}}):
            self.run_cron()
        self.assertIn("bad signature", self.campaign.push_error)
        self.assertTrue(self.campaign.push_stopped)
        self.assertIn("refused", self.campaign.message_ids[0].body)
        with (
            freeze_time(NOW + timedelta(hours=2)),
            self.fake_dialer(accept_all) as received,
        ):
            self.run_cron()
        self.assertFalse(received, "a refusal is not retried blindly")
        self.campaign.action_pause()
        self.start()
        self.assertFalse(self.campaign.push_stopped)
        with self.fake_dialer(accept_all):
            self.run_cron()
        self.assertEqual(targets.state, "dialing")

    @freeze_time(NOW)
    def test_result_events_update_the_target(self):
        answered, missed = self.add_targets(2)
        answered.partner_id = self.partner
        answered.phone = CUSTOMER
        self.start()
        with self.fake_dialer(accept_all):
            self.run_cron()
        ref = answered._dialer_task_ref()
        self.post_event(
            "call.ringing", "dial-1", to=CUSTOMER, agent="101", campaign=ref
        )
        self.post_event(
            "call.answered", "dial-1", to=CUSTOMER, agent="101", campaign=ref
        )
        call = self.env["crm.callcenter.call"].search(
            [("external_call_id", "=", "dial-1")]
        )
        self.assertEqual(call.telesales_target_id, answered)
        self.assertEqual(answered.state, "in_call")
        self.post_event("call.ended", "dial-1", to=CUSTOMER, agent="101", campaign=ref)
        self.env.invalidate_all()
        self.assertEqual(answered.state, "done")
        self.assertEqual(answered.result, "reached")
        self.assertEqual(answered.attempts, 1)
        self.assertEqual(answered.user_id, self.agent)
        self.assertEqual(call.partner_id, self.partner)

        # No answer: planned again after the campaign's delay, and sent again
        # to the center when due.
        self.post_event(
            "call.ended",
            "dial-2",
            to=missed.phone,
            outcome="no_answer",
            campaign=missed._dialer_task_ref(),
        )
        self.env.invalidate_all()
        self.assertEqual(missed.state, "scheduled")
        self.assertEqual(missed.result, "no_answer")
        self.assertEqual(missed.attempts, 1)
        due = NOW + timedelta(minutes=self.campaign.retry_no_answer_minutes)
        self.assertEqual(missed.next_attempt_at, due)
        with self.fake_dialer(accept_all) as received:
            self.run_cron()
        self.assertFalse(received, "not before its next attempt")
        with freeze_time(due), self.fake_dialer(accept_all) as received:
            self.run_cron()
        self.assertEqual(
            [t["task_id"] for t in received[0][1]["tasks"]], [missed._dialer_task_ref()]
        )
        self.assertEqual(missed.state, "dialing")

    @freeze_time(NOW)
    def test_events_of_another_center_do_not_touch_targets(self):
        target = self.add_targets(1)
        other = self.env["crm.telesales.campaign"].create(
            {"name": "Other", "provider_id": self.provider.id, "mode": "push"}
        )
        # Right target id, wrong campaign; then a reference we never made.
        wrong = f"odoo-telesales-{other.id}:{target.id}"
        self.post_event("call.ended", "dial-x", to=target.phone, campaign=wrong)
        self.post_event("call.ended", "dial-y", to=target.phone, campaign="promo-7")
        calls = self.env["crm.callcenter.call"].search(
            [("external_call_id", "in", ("dial-x", "dial-y"))]
        )
        self.assertEqual(len(calls), 2)
        self.assertFalse(calls.telesales_target_id)
        self.assertEqual(target.attempts, 0)

    def test_payload_and_sticky_agent_reach_the_center(self):
        target = self.add_targets(
            1,
            payload={"application": "A-77", "address": "Hà Nội"},
            sticky_user_id=self.agent.id,
            priority=4,
        )
        with freeze_time(NOW):
            self.start()
            with self.fake_dialer(accept_all) as received:
                self.run_cron()
        task = received[0][1]["tasks"][0]
        self.assertEqual(task["data"], {"application": "A-77", "address": "Hà Nội"})
        self.assertEqual(task["agent"], "101")
        self.assertEqual(task["priority"], 4)
        self.assertEqual(task["number"], target.phone)
        self.assertEqual(
            json.loads(received[0][0].body)["tasks"][0]["task_id"],
            target._dialer_task_ref(),
        )
