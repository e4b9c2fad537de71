from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import tagged
from odoo.tests.common import freeze_time

from ..models.crm_callcenter_call_report import _punctuality, _shift_days
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

    def dashboard(self, now, date_to="2026-03-02"):
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        with freeze_time(now):
            data = Call.with_context(tz=TZ).get_dashboard_data("2026-03-02", date_to)
        return {row["user_id"]: row for row in data["adherence"]}

    def punctuality(self, row):
        return row["late_days"], row["early_days"], row["absent_days"]

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
        self.assertEqual(self.punctuality(row), (1, 1, 0), "8:10 late, 16:00 early")

        # Agent B has an extension and never signed in: 0 %, listed first.
        row_b = rows[self.agent_b.id]
        self.assertAlmostEqual(row_b["scheduled_hours"], 8)
        self.assertEqual((row_b["signed_in_hours"], row_b["adherence"]), (0, 0))
        self.assertEqual(next(iter(rows)), self.agent_b.id)
        self.assertEqual(self.punctuality(row_b), (0, 0, 1), "absent")

    def test_up_to_now_and_a_stretch_still_open(self):
        """At 11:00 the shifts so far are 3 hours; the agent, available since
        9:00 and still, has 2 of them."""
        self.presence(self.agent, "available", local(9, 0))
        row = self.dashboard(local(11, 0))[self.agent.id]
        self.assertAlmostEqual(row["scheduled_hours"], 3)
        self.assertAlmostEqual(row["ready_hours"], 2)
        self.assertAlmostEqual(row["adherence"], 2 / 3)
        self.assertEqual(self.punctuality(row), (1, 0, 0), "late; the day goes on")
        row_b = self.dashboard(local(11, 0))[self.agent_b.id]
        self.assertEqual(self.punctuality(row_b), (1, 0, 0), "not here yet: late")
        row_b = self.dashboard(local(8, 4))[self.agent_b.id]
        self.assertEqual(self.punctuality(row_b), (0, 0, 0), "within the grace")

    def test_stretches_across_the_period_are_cut_at_its_bounds(self):
        """Signed in since Sunday evening: only Monday's part counts."""
        self.presence(self.agent, "available", local(8) - timedelta(hours=14))
        self.presence(self.agent, "offline", local(9, 0))
        row = self.dashboard(local(20, 0))[self.agent.id]
        self.assertAlmostEqual(row["ready_hours"], 1)
        # Monday 0:00-8:00 local is outside the shifts; Sunday is not Monday.
        self.assertAlmostEqual(row["outside_hours"], 8)

    def test_punctuality_over_days_and_its_grace(self):
        """Monday within the grace, Tuesday gone after the morning,
        Wednesday absent; then the same days without grace."""
        agent = self.agent
        day = timedelta(days=1)
        self.presence(agent, "available", local(8, 4))
        self.presence(agent, "offline", local(16, 57))
        self.presence(agent, "available", day + local(7, 50))
        self.presence(agent, "offline", day + local(12, 0))
        now = 2 * day + local(20, 0)

        row = self.dashboard(now, "2026-03-04")[agent.id]
        self.assertAlmostEqual(row["scheduled_hours"], 24)
        self.assertEqual(self.punctuality(row), (0, 1, 1))

        self.env.company.callcenter_late_grace_minutes = 0
        row = self.dashboard(now, "2026-03-04")[agent.id]
        self.assertEqual(self.punctuality(row), (1, 2, 1), "8:04 and 16:57 count")

    def test_a_night_shift_is_one_working_day(self):
        """22:00-24:00 and 0:00-6:00 the next morning: one day, started on
        time and left on time by an agent ready from 21:58 to 6:01."""
        shifts = [
            (datetime(2026, 3, 2, 22), datetime(2026, 3, 3, 0)),
            (datetime(2026, 3, 3, 0), datetime(2026, 3, 3, 6)),
            (datetime(2026, 3, 3, 22), datetime(2026, 3, 4, 0)),
        ]
        epoch = [(b.timestamp(), e.timestamp(), b.date()) for b, e in shifts]
        days = _shift_days(epoch)
        self.assertEqual([len(d) for d in days], [2, 1])
        ready = [
            ("ready", datetime(2026, 3, 2, 21, 58).timestamp(),
             datetime(2026, 3, 3, 6, 1).timestamp()),
        ]  # fmt: skip
        now = datetime(2026, 3, 3, 12).timestamp()
        self.assertEqual(_punctuality(ready, days, now, 300), (0, 0, 0))
        # Ready only after midnight: late, for the one day.
        ready = [("ready", shifts[1][0].timestamp(), shifts[1][1].timestamp())]
        self.assertEqual(_punctuality(ready, days, now, 300), (1, 0, 0))
