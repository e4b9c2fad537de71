from datetime import date, datetime, timedelta

from odoo import Command
from odoo.tests import tagged

from .common import CallcenterCase

TZ = "Asia/Ho_Chi_Minh"  # UTC+7
# Monday 2026-03-02, 16:00 in Ho Chi Minh City (naive UTC, as stored).
MONDAY_OPEN = datetime(2026, 3, 2, 9, 0)
MONDAY_EVENING = datetime(2026, 3, 2, 11, 0)  # 18:00 local: closed
HOLIDAY = datetime(2026, 3, 3, 3, 0)  # Tuesday 10:00 local, a public holiday
SATURDAY = datetime(2026, 3, 7, 3, 0)  # 10:00 local: closed


@tagged("post_install", "-at_install")
class TestOpeningHours(CallcenterCase):
    """A hotline open Monday to Friday, 8:00 to 17:00 (Ho Chi Minh City
    time), closed on a public holiday."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hours = cls._calendar("Hotline hours", range(5))
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": False,
                "resource_id": False,
                "date_from": datetime(2026, 3, 2, 17, 0),  # Tue 00:00 local
                "date_to": datetime(2026, 3, 3, 16, 59, 59),  # Tue 23:59 local
            }
        )
        cls.provider.opening_calendar_id = cls.hours

    @classmethod
    def _calendar(cls, name, days):
        return cls.env["resource.calendar"].create(
            {
                "name": name,
                "tz": TZ,
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"Day {day}",
                            "dayofweek": str(day),
                            "hour_from": 8,
                            "hour_to": 17,
                            "day_period": "full_day",
                        }
                    )
                    for day in days
                ],
            }
        )

    def missed(self, call_id, at, from_="0903555111", to="+842838123456"):
        self.feed(
            [
                self.center.event(
                    "call.ringing", call_id, at=at, agent="101", from_=from_, to=to
                ),
                self.center.event(
                    "call.ended",
                    call_id,
                    at=at + timedelta(seconds=30),
                    from_=from_,
                    to=to,
                    hangup_cause="ORIGINATOR_CANCEL",
                ),
            ]
        )
        return self.get_call(call_id)

    def test_calls_outside_the_opening_hours_are_marked(self):
        self.feed(self.center.answered_call("oh-open", start=MONDAY_OPEN))
        self.assertCallLogged("oh-open", out_of_hours=False)
        for call_id, at in (
            ("oh-evening", MONDAY_EVENING),
            ("oh-saturday", SATURDAY),
            ("oh-holiday", HOLIDAY),
        ):
            self.assertTrue(self.missed(call_id, at).out_of_hours, call_id)
        # The agents' own calls out are never out of hours.
        self.feed(
            [
                self.center.event(
                    "call.ringing",
                    "oh-out",
                    at=SATURDAY,
                    direction="outbound",
                    from_="101",
                    to="0903555111",
                    agent="101",
                )
            ]
        )
        self.assertCallLogged("oh-out", direction="outbound", out_of_hours=False)

    def test_a_line_has_its_own_hours(self):
        weekend_line = self.env["crm.callcenter.did"].create(
            {
                "name": "Weekend line",
                "number": "+842838777777",
                "provider_id": self.provider.id,
                "opening_calendar_id": self._calendar("Every day", range(7)).id,
            }
        )
        call = self.missed("oh-line", SATURDAY, to="+842838777777")
        self.assertEqual(call.did_id, weekend_line)
        self.assertFalse(call.out_of_hours)
        self.assertTrue(self.missed("oh-other-line", SATURDAY).out_of_hours)

    def test_always_open_without_opening_hours(self):
        self.provider.opening_calendar_id = False
        self.assertFalse(self.missed("oh-none", SATURDAY).out_of_hours)

    def test_call_back_is_due_on_the_next_opening_day(self):
        # Missed on Saturday: due on Monday.
        self.missed("oh-cb-sat", SATURDAY)
        self.run_missed_cron()
        activity = self.get_call("oh-cb-sat").callback_id.activity_id
        self.assertEqual(activity.date_deadline, date(2026, 3, 9))
        activity.action_feedback()
        # Missed on Monday evening, Tuesday is a holiday: due on Wednesday.
        self.missed("oh-cb-mon", MONDAY_EVENING, from_="0903000777")
        self.run_missed_cron()
        callback = self.get_call("oh-cb-mon").callback_id
        self.assertEqual(callback.activity_id.date_deadline, date(2026, 3, 4))

    def test_dashboard_leaves_calls_out_of_hours_out_of_the_rates(self):
        self.feed(self.center.answered_call("oh-dash-open", start=MONDAY_OPEN))
        self.missed("oh-dash-closed", MONDAY_EVENING, from_="0903000888")
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        data = Call.with_context(tz=TZ).get_dashboard_data("2026-03-02", "2026-03-02")
        totals = data["totals"]
        self.assertEqual(totals["calls_in"], 2)
        self.assertEqual(totals["missed"], 1)
        self.assertEqual(totals["out_of_hours"], 1)
        self.assertEqual(totals["answer_rate"], 1.0)
        self.assertEqual(totals["abandonment_rate"], 0.0)
        self.assertEqual(totals["service_level"], 1.0)
