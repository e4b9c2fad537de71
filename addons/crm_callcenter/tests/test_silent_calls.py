"""Calls whose end the center never reported are closed at their last news."""

from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from .common import BASE_TIME, CallcenterCase


@tagged("post_install", "-at_install")
class TestSilentCalls(CallcenterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider.write({"ringing_timeout_minutes": 60, "live_timeout_minutes": 240})
        cls.call_type = cls.env.ref("mail.mail_activity_data_call")

    def sweep(self, minutes_later):
        """The cron, run ``minutes_later`` than now; how many calls of the
        test provider it closed (a database may hold others)."""
        Call = self.env["crm.callcenter.call"]
        domain = [("provider_id", "=", self.provider.id), ("state", "!=", "ended")]
        open_calls = Call.search(domain)
        now = fields.Datetime.now() + timedelta(minutes=minutes_later)
        with patch.object(self.env.cr, "commit"):
            Call._close_silent_calls(now=now)
        return len(open_calls - Call.search(domain))

    def ring(self, call_id, **data):
        self.feed([self.center.event("call.ringing", call_id, at=BASE_TIME, **data)])
        return self.get_call(call_id)

    def answer(self, call_id):
        ringing, answered, _ended = self.center.answered_call(call_id)
        self.feed([ringing, answered])
        return self.get_call(call_id)

    def test_ringing_call_without_end_is_missed_and_called_back(self):
        call = self.ring("sil-1", agent="101")
        self.assertEqual(self.sweep(59), 0, "an hour of ringing is allowed")
        self.assertEqual(call.state, "ringing")

        self.assertEqual(self.sweep(61), 1)
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "missed",
                    "is_missed": True,
                    # Nobody knows that the caller hung up.
                    "is_abandoned": False,
                    "end_inferred": True,
                    "ended_at": BASE_TIME,
                    "duration": 0,
                    "billsec": 0,
                }
            ],
        )
        self.run_missed_cron()
        self.assertEqual(call.callback_state, "pending")
        activity = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.partner.id),
                ("activity_type_id", "=", self.call_type.id),
            ]
        )
        self.assertEqual(len(activity), 1, "the lost caller is called back")
        # The agent's call card closes.
        self.assertEqual(self.bus_payloads(self.agent)[-1]["state"], "ended")
        self.assertEqual(self.sweep(61), 0, "closed once")
        # The provider's health shows that its events get lost.
        provider = self.provider.with_user(self.manager)
        self.assertEqual(provider.lost_end_count, 1)
        action = provider.action_view_lost_end_calls()
        self.assertEqual(self.env["crm.callcenter.call"].search(action["domain"]), call)

    def detail(self, call_id, at, **data):
        """A ``call.updated`` of the call, sent by the center now."""
        self.feed([self.center.event("call.updated", call_id, at=at, **data)])

    def test_call_in_progress_without_end_frees_its_agent(self):
        self.provider.wrapup_seconds = 0
        stale = self.answer("sil-2")
        self.assertEqual(self.agent.callcenter_presence, "in_call")
        self.assertEqual(self.sweep(61), 0, "calls in progress may last long")
        self.assertEqual(self.sweep(239), 0)

        self.assertEqual(self.sweep(241), 1)
        self.assertRecordValues(
            stale,
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "is_missed": False,
                    "end_inferred": True,
                    # Its last news: the answer, 12 s after the first ring.
                    "ended_at": BASE_TIME + timedelta(seconds=12),
                    "duration": 12,
                    "billsec": 0,
                }
            ],
        )
        self.assertEqual(self.agent.callcenter_presence, "available")
        # Its next call ends as calls do: the lost one no longer keeps the
        # agent busy.
        self.feed(self.center.answered_call("sil-2-next"))
        self.assertEqual(self.agent.callcenter_presence, "available")

    def test_without_the_sweep_a_lost_end_keeps_the_agent_busy(self):
        # What the sweep is for: the end of "sil-3" never comes, and the
        # agent's next call leaves them in call.
        self.provider.wrapup_seconds = 0
        self.answer("sil-3")
        self.feed(self.center.answered_call("sil-3-next"))
        self.assertEqual(self.agent.callcenter_presence, "in_call")
        self.sweep(241)
        self.assertEqual(self.agent.callcenter_presence, "available")

    def test_recent_news_keeps_a_call_open(self):
        call = self.answer("sil-4")
        # Hours later (the center's clock), a detail of the call arrives now.
        self.detail(
            "sil-4",
            BASE_TIME + timedelta(hours=5),
            recording_url="https://rec.example.com/sil-4.mp3",
        )
        self.assertEqual(self.sweep(200), 0)
        self.assertEqual(call.state, "answered")

    def test_a_zero_time_never_closes(self):
        self.provider.ringing_timeout_minutes = 0
        call = self.ring("sil-5")
        self.assertEqual(self.sweep(60 * 24 * 30), 0)
        self.assertEqual(call.state, "ringing")

    def test_the_centers_late_end_replaces_the_inferred_one(self):
        _ringing, _answered, ended = self.center.answered_call("sil-6")
        call = self.answer("sil-6")
        self.sweep(241)
        self.assertTrue(call.end_inferred)
        # The center's retries got through after all.
        self.feed([ended])
        self.assertRecordValues(
            call,
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "end_inferred": False,
                    "ended_at": BASE_TIME + timedelta(seconds=92),
                    "duration": 92,
                    "billsec": 80,
                    "hangup_cause": "NORMAL_CLEARING",
                }
            ],
        )

    def test_a_late_end_earlier_than_the_inferred_one_still_wins(self):
        call = self.answer("sil-7")
        # A detail sent long after the answer moves the last news later.
        self.detail("sil-7", BASE_TIME + timedelta(minutes=30), agent="101")
        self.sweep(241)
        self.assertEqual(call.ended_at, BASE_TIME + timedelta(minutes=30))
        self.feed(
            [
                self.center.event(
                    "call.ended",
                    "sil-7",
                    at=BASE_TIME + timedelta(minutes=5),
                    agent="101",
                )
            ]
        )
        self.assertEqual(call.ended_at, BASE_TIME + timedelta(minutes=5))
        self.assertEqual(call.billsec, 5 * 60 - 12)
        self.assertFalse(call.end_inferred)

    def test_a_late_end_says_whether_the_caller_abandoned(self):
        call = self.ring("sil-10", agent="101")
        self.sweep(61)
        self.assertRecordValues(
            call, [{"is_missed": True, "is_abandoned": False, "end_inferred": True}]
        )
        # The center reports at last that the caller hung up while ringing.
        self.feed(
            [
                self.center.event(
                    "call.ended",
                    "sil-10",
                    at=BASE_TIME + timedelta(seconds=40),
                    agent="101",
                )
            ]
        )
        self.assertRecordValues(
            call,
            [
                {
                    "outcome": "missed",
                    "is_missed": True,
                    "is_abandoned": True,
                    "end_inferred": False,
                    "ended_at": BASE_TIME + timedelta(seconds=40),
                }
            ],
        )

    def test_a_late_answer_turns_the_missed_call_into_an_answered_one(self):
        call = self.ring("sil-8", agent="101")
        self.sweep(61)
        self.run_missed_cron()
        self.assertEqual(call.callback_state, "pending")
        _ringing, answered, ended = self.center.answered_call("sil-8")
        self.feed([answered, ended])
        self.assertRecordValues(
            call,
            [
                {
                    "outcome": "answered",
                    "is_missed": False,
                    "end_inferred": False,
                    "billsec": 80,
                }
            ],
        )
        self.assertEqual(call.callback_id.state, "done", "the caller was served")

    def test_a_call_placed_from_odoo_the_center_never_reported(self):
        call = self.env["crm.callcenter.call"].create(
            {
                "provider_id": self.provider.id,
                "company_id": self.provider.company_id.id,
                "external_call_id": "odoo-c2c-silent",
                "direction": "outbound",
                "to_number": "+84903555111",
                "user_id": self.agent.id,
            }
        )
        self.assertEqual(self.sweep(61), 1)
        self.assertRecordValues(
            call,
            [{"state": "ended", "outcome": "no_answer", "is_missed": False}],
        )
        self.assertFalse(call.callback_queued, "outbound: nobody to call back")

    def test_calls_the_center_no_longer_has(self):
        """What the listener does when its stream reconnects."""
        gone = self.answer("sil-gone")
        live = self.answer("sil-live")
        placed = self.env["crm.callcenter.call"].create(
            {
                "provider_id": self.provider.id,
                "company_id": self.provider.company_id.id,
                "external_call_id": "odoo-c2c-on-its-way",
                "direction": "outbound",
                "to_number": "+84903555111",
            }
        )
        Call = self.env["crm.callcenter.call"]
        after_events = fields.Datetime.now() + timedelta(seconds=1)
        with patch.object(self.env.cr, "commit"):
            Call._close_calls_not_live(self.provider, {"sil-live"}, after_events)
        self.assertRecordValues(
            gone, [{"state": "ended", "outcome": "answered", "end_inferred": True}]
        )
        self.assertEqual(live.state, "answered")
        self.assertEqual(placed.state, "ringing", "maybe still on its way")
        # Not heard of before the question: kept.
        fresh = self.answer("sil-fresh")
        with patch.object(self.env.cr, "commit"):
            Call._close_calls_not_live(
                self.provider, {"sil-live"}, fresh.event_ids[:1].received_at
            )
        self.assertEqual(fresh.state, "answered")
        with patch.object(self.env.cr, "commit"):
            Call._close_calls_not_live(
                self.provider, {"sil-live"}, after_events + timedelta(minutes=2)
            )
        self.assertEqual(placed.state, "ended")
        self.assertEqual(live.state, "answered")
