from datetime import datetime, timedelta

from odoo.tests import tagged
from odoo.tests.common import freeze_time

from .common import CallcenterCase

T0 = datetime(2026, 3, 2, 2, 0)  # 09:00 in Ho Chi Minh City
NOW = T0 + timedelta(hours=3)


@tagged("post_install", "-at_install")
class TestCallbackTarget(CallcenterCase):
    """Missed calls to be called back within an hour of their end."""

    def missed(self, call_id, number, ended_at):
        self.feed(
            [
                self.center.event(
                    "call.ringing",
                    call_id,
                    at=ended_at - timedelta(seconds=30),
                    agent="101",
                    from_=number,
                ),
                self.center.event("call.ended", call_id, at=ended_at, from_=number),
            ]
        )
        self.run_missed_cron()
        call = self.get_call(call_id)
        self.assertEqual(call.callback_state, "pending")
        return call

    def call_back(self, number, at):
        """The agent calls the number back and the customer answers."""
        call_id = f"cb-{number}"
        with freeze_time(at):
            self.feed(
                [
                    self.center.event(
                        "call.answered",
                        call_id,
                        at=at,
                        direction="outbound",
                        from_="101",
                        to=number,
                        agent="101",
                    ),
                ]
            )

    def dashboard(self):
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        with freeze_time(NOW):
            return Call.with_context(tz="Asia/Ho_Chi_Minh").get_dashboard_data(
                "2026-03-02", "2026-03-02"
            )

    def test_share_called_back_in_time_and_overdue(self):
        self.env.company.callcenter_callback_target_minutes = 60
        in_time = self.missed("cbt-1", "0903000301", T0)
        late = self.missed("cbt-2", "0903000302", T0)
        overdue = self.missed("cbt-3", "0903000303", T0)
        not_due = self.missed("cbt-4", "0903000304", NOW - timedelta(minutes=10))
        self.call_back("0903000301", T0 + timedelta(minutes=30))
        self.call_back("0903000302", T0 + timedelta(hours=2))
        self.assertEqual((in_time | late).mapped("callback_state"), ["done", "done"])

        data = self.dashboard()
        # In time: 1 of the 3 decided (one late, one overdue); the one
        # missed 10 minutes ago is not due yet.
        self.assertEqual(data["callback_target_minutes"], [60])
        self.assertEqual(data["totals"]["callbacks_due"], 3)
        self.assertEqual(data["totals"]["callbacks_overdue"], 1)
        self.assertAlmostEqual(data["totals"]["callback_in_time_rate"], 1 / 3)
        pending = data["pending"]
        rows = {row["id"]: row for row in pending["calls"]}
        self.assertTrue(rows[overdue.id]["overdue"])
        self.assertFalse(rows[not_due.id]["overdue"])
        self.assertEqual(pending["overdue"], 1)

    def test_no_target_no_figure(self):
        self.missed("cbt-none", "0903000305", T0)
        data = self.dashboard()
        self.assertEqual(data["callback_target_minutes"], [])
        self.assertIsNone(data["totals"]["callback_in_time_rate"])
        self.assertEqual(data["pending"]["overdue"], 0)
        self.assertFalse(any(row["overdue"] for row in data["pending"]["calls"]))
