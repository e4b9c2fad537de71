from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import tagged
from odoo.tests.common import freeze_time

from .common import CallcenterCase

TZ = "Asia/Ho_Chi_Minh"  # UTC+7


def local(hour, minute=0):
    """Monday 2026-03-02 at ``hour:minute`` in Ho Chi Minh City, as naive UTC."""
    return datetime(2026, 3, 2, hour, minute) - timedelta(hours=7)


@tagged("post_install", "-at_install")
class TestScheduleAdherence(CallcenterCase):
    """Shifts 8:00-12:00 and 13:00-17:00 (Ho Chi Minh City), Monday to
    Friday: the dashboard compares them with the agents' presence."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shifts = cls.env["resource.calendar"].create(
            {
                "name": "Day shift",
                "tz": TZ,
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"Day {day} {period}",
                            "dayofweek": str(day),
                            "hour_from": hour_from,
                            "hour_to": hour_to,
                            "day_period": period,
                        }
                    )
                    for day in range(5)
                    for hour_from, hour_to, period in (
                        (8, 12, "morning"),
                        (13, 17, "afternoon"),
                    )
                ],
            }
        )
        (cls.agent | cls.agent_b).callcenter_calendar_id = cls.shifts

    def presence(self, user, presence, at):
        self.env["crm.callcenter.presence.log"]._log_changes(user, presence, at)

    def dashboard(self, now):
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        with freeze_time(now):
            data = Call.with_context(tz=TZ).get_dashboard_data(
                "2026-03-02", "2026-03-02"
            )
        return {row["user_id"]: row for row in data["adherence"]}

    def test_ready_away_and_outside_the_shifts(self):
        agent = self.agent
        self.presence(agent, "available", local(8, 10))  # 10 minutes late
        self.presence(agent, "away", local(10, 0))
        self.presence(agent, "available", local(10, 30))
        self.presence(agent, "offline", local(12, 30))  # lunch from 12:30
        self.presence(agent, "in_call", local(13, 0))
        self.presence(agent, "wrap_up", local(14, 0))
        self.presence(agent, "available", local(14, 5))
        self.presence(agent, "offline", local(16, 0))  # left an hour early

        rows = self.dashboard(local(20, 0))
        row = rows[agent.id]
        self.assertEqual(row["calendar"], "Day shift")
        self.assertAlmostEqual(row["scheduled_hours"], 8)
        # Ready: 8:10-10:00, 10:30-12:00, 13:00-16:00.
        self.assertAlmostEqual(row["ready_hours"], 1 + 50 / 60 + 1.5 + 3)
        self.assertAlmostEqual(row["away_hours"], 0.5)
        self.assertAlmostEqual(row["signed_in_hours"], row["ready_hours"] + 0.5)
        self.assertAlmostEqual(row["outside_hours"], 0.5, msg="12:00-12:30")
        self.assertAlmostEqual(row["adherence"], (6 + 20 / 60) / 8)

        # Agent B has an extension and never signed in: 0 %, listed first.
        row_b = rows[self.agent_b.id]
        self.assertAlmostEqual(row_b["scheduled_hours"], 8)
        self.assertEqual((row_b["signed_in_hours"], row_b["adherence"]), (0, 0))
        self.assertEqual(next(iter(rows)), self.agent_b.id)

    def test_up_to_now_and_a_stretch_still_open(self):
        """At 11:00 the shifts so far are 3 hours; the agent, available since
        9:00 and still, has 2 of them."""
        self.presence(self.agent, "available", local(9, 0))
        row = self.dashboard(local(11, 0))[self.agent.id]
        self.assertAlmostEqual(row["scheduled_hours"], 3)
        self.assertAlmostEqual(row["ready_hours"], 2)
        self.assertAlmostEqual(row["adherence"], 2 / 3)

    def test_stretches_across_the_period_are_cut_at_its_bounds(self):
        """Signed in since Sunday evening: only Monday's part counts."""
        self.presence(self.agent, "available", local(8) - timedelta(hours=14))
        self.presence(self.agent, "offline", local(9, 0))
        row = self.dashboard(local(20, 0))[self.agent.id]
        self.assertAlmostEqual(row["ready_hours"], 1)
        # Monday 0:00-8:00 local is outside the shifts; Sunday is not Monday.
        self.assertAlmostEqual(row["outside_hours"], 8)
