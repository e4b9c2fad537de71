from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user

from .dialer_common import DialerCase

MONDAY = datetime(2026, 3, 2)  # naive UTC


class TestDialerPicking(DialerCase):
    def test_priority_then_due_time_and_never_twice(self):
        now = datetime(2026, 3, 2, 9, 0)
        with freeze_time(now):
            late, early, urgent, future = self.make_targets(
                self.campaign, "0903000001", "0903000002", "0903000003", "0903000004"
            )
            late.next_attempt_at = now - timedelta(minutes=5)
            early.next_attempt_at = now - timedelta(hours=2)
            urgent.write({"priority": 5, "next_attempt_at": now})
            future.next_attempt_at = now + timedelta(hours=1)
            first = self.next_for(self.agent)
            second = self.next_for(self.agent_b)
        self.assertEqual(first, urgent, "higher priority first")
        self.assertEqual(second, early, "then the longest due")
        self.assertEqual((first.state, first.user_id), ("dialing", self.agent))
        self.assertEqual((second.state, second.user_id), ("dialing", self.agent_b))
        with freeze_time(now):
            # The agent still holds their target: asking again gives it back.
            self.assertEqual(self.next_for(self.agent), urgent)
            urgent.with_user(self.agent).action_telesales_reject("Duplicate")
            self.assertEqual(self.next_for(self.agent), late)
            late.with_user(self.agent).action_telesales_reject("Duplicate")
            self.assertFalse(self.next_for(self.agent), "the last one is not due yet")
        with freeze_time(now + timedelta(hours=1)):
            self.assertEqual(self.next_for(self.agent), future)

    def test_windows_in_each_targets_time_zone(self):
        # Monday 09:00-18:00 and Saturday 10:00-12:00, in the customer's time.
        self.campaign.window_ids = [
            (0, 0, {"weekday": "0", "hour_from": 9, "hour_to": 18}),
            (0, 0, {"weekday": "5", "hour_from": 10, "hour_to": 12}),
        ]
        hanoi = self.env["res.partner"].create(
            {"name": "Hà Nội", "tz": "Asia/Ho_Chi_Minh"}
        )
        istanbul = self.env["res.partner"].create(
            {"name": "İstanbul", "tz": "Europe/Istanbul"}
        )
        vn_target = self.make_targets(self.campaign, "0903000011")
        vn_target.partner_id = hanoi
        tr_target = self.make_targets(self.campaign, "+905321234567")
        tr_target.partner_id = istanbul
        self.assertEqual(vn_target.tz, "Asia/Ho_Chi_Minh")
        self.assertEqual(tr_target.tz, "Europe/Istanbul")
        self.Target.search([]).flush_recordset()
        (vn_target | tr_target).next_attempt_at = MONDAY - timedelta(days=3)

        # Monday 04:00 UTC: 11:00 in Hanoi, 07:00 in Istanbul.
        with freeze_time(MONDAY.replace(hour=4)):
            self.assertEqual(self.next_for(self.agent), vn_target)
            self.assertFalse(self.next_for(self.agent_b), "Istanbul still sleeps")
        vn_target.with_user(self.agent).action_telesales_reject("Called elsewhere")
        # Monday 12:30 UTC: 19:30 in Hanoi (closed), 15:30 in Istanbul.
        with freeze_time(MONDAY.replace(hour=12, minute=30)):
            self.assertEqual(self.next_for(self.agent_b), tr_target)
            tr_target.with_user(self.agent_b).action_telesales_reschedule(
                MONDAY + timedelta(days=1)
            )
        # Tuesday: no window at all.
        with freeze_time(MONDAY + timedelta(days=1, hours=10)):
            self.assertFalse(self.next_for(self.agent_b))
        # Saturday 08:30 UTC is 11:30 in Istanbul: its short window is open.
        with freeze_time(MONDAY + timedelta(days=5, hours=8, minutes=30)):
            self.assertEqual(self.next_for(self.agent_b), tr_target)

    def test_callback_goes_to_its_sticky_agent_first(self):
        other, callback = self.make_targets(self.campaign, "0903000021", "0903000022")
        other.priority = 9
        callback.sticky_user_id = self.agent_b
        # Another agent does not take agent B's call-back while B works...
        self.assertEqual(self.next_for(self.agent), other)
        other.with_user(self.agent).action_telesales_reject("Wrong person")
        self.assertFalse(self.next_for(self.agent))
        # ... B gets it before any higher priority target...
        self.make_targets(self.campaign, "0903000023", priority=20)
        self.assertEqual(self.next_for(self.agent_b), callback)
        callback.with_user(self.agent_b).action_telesales_reschedule(
            datetime.now() - timedelta(minutes=1) + timedelta(hours=2)
        )
        # ... and once B went home, it is anyone's.
        with freeze_time(datetime.now() + timedelta(hours=3)):
            self.agent_b.sudo()._callcenter_update_presence("offline")
            self.next_for(self.agent).with_user(self.agent).action_telesales_reject(
                "Later"
            )
            self.assertEqual(self.next_for(self.agent), callback)

    def test_agent_works_in_several_campaigns_and_only_in_theirs(self):
        summer = self.make_targets(self.campaign, "0903000031", priority=1)
        loans = self.make_campaign("Khoản vay", self.agent)
        loan_target = self.make_targets(loans, "0903000032", priority=3)
        draft = self.env["crm.telesales.campaign"].create(
            {
                "name": "Draft",
                "provider_id": self.provider.id,
                "user_ids": self.agent.ids,
            }
        )
        self.make_targets(draft, "0903000033", priority=9)

        # Agent B works only in the summer campaign: never the loan target.
        self.assertEqual(self.next_for(self.agent_b), summer)
        summer.with_user(self.agent_b).action_telesales_reject("No")
        self.assertFalse(self.next_for(self.agent_b))
        with self.assertRaises(AccessError):
            loan_target.with_user(self.agent_b).action_telesales_reject("Not mine")
        # Agent A gets targets of both running campaigns, not of the draft.
        self.assertEqual(self.next_for(self.agent), loan_target)
        loan_target.with_user(self.agent).action_telesales_reject("No")
        self.assertFalse(self.next_for(self.agent))
        data = self.Target.with_user(self.agent).telesales_next()
        self.assertEqual(
            {c["name"] for c in data["campaigns"]}, {"Mùa hè", "Khoản vay"}
        )
        # A user who is no agent gets nothing at all.
        clerk = new_test_user(self.env, login="ts_clerk", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.Target.with_user(clerk).telesales_next()

    def test_preview_data_reject_and_reschedule(self):
        target = self.make_targets(
            self.campaign,
            "0903 555 111",
            partner_id=self.partner.id,
            payload={"Application": "A-1042", "Address": "12 Lê Lợi"},
        )
        data = self.Target.with_user(self.agent).telesales_next()["target"]
        self.assertEqual(data["id"], target.id)
        self.assertEqual(data["phone"], "+84903555111")
        self.assertIn(["Application", "A-1042"], data["payload"])
        self.assertEqual(data["partner"]["name"], self.partner.name)
        self.assertTrue(data["can_preview"])
        self.assertEqual(
            {d["name"] for d in data["dispositions"]},
            set(self.campaign.disposition_ids.mapped("name")),
        )
        # Only the agent holding it acts on it.
        with self.assertRaisesRegex(UserError, "not your current call"):
            target.with_user(self.agent_b).action_telesales_reject("Mine now")
        with self.assertRaisesRegex(UserError, "reason"):
            target.with_user(self.agent).action_telesales_reject("  ")
        with self.assertRaisesRegex(UserError, "future"):
            target.with_user(self.agent).action_telesales_reschedule(
                datetime.now() - timedelta(hours=1)
            )
        when = datetime.now().replace(microsecond=0) + timedelta(days=1)
        target.with_user(self.agent).action_telesales_reschedule(when)
        self.assertEqual(target.state, "rescheduled")
        self.assertEqual(target.next_attempt_at, when)
        self.assertEqual(target.sticky_user_id, self.agent)
        self.assertFalse(self.next_for(self.agent), "not before the agreed time")
        with freeze_time(when + timedelta(minutes=1)):
            self.assertEqual(self.next_for(self.agent), target)
            target.with_user(self.agent).action_telesales_reject("Moved abroad")
        self.assertEqual(
            (target.state, target.reject_reason), ("rejected", "Moved abroad")
        )

    def _call(self, target, call_id, user):
        return (
            self.env["crm.callcenter.call"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "company_id": self.provider.company_id.id,
                    "external_call_id": call_id,
                    "direction": "outbound",
                    "user_id": user.id,
                    "extension": "101",
                    "to_number": target.phone,
                    "customer_number": target.phone,
                    "started_at": datetime.now(),
                    "telesales_target_id": target.id,
                }
            )
        )

    def _end(self, target, call_id, outcome, at):
        common = {
            "direction": "outbound",
            "from_": "101",
            "to": target.phone,
            "agent": "101",
        }
        events = []
        if outcome == "answered":
            events.append(self.center.event("call.answered", call_id, at=at, **common))
            events.append(self.center.event("call.ended", call_id, at=at, **common))
        else:
            events.append(
                self.center.event(
                    "call.ended", call_id, at=at, outcome=outcome, **common
                )
            )
        self.feed(events)
        self.env.invalidate_all()

    def test_retries_at_the_configured_delay_then_failed(self):
        self.campaign.write(
            {"max_attempts": 3, "retry_busy_minutes": 10, "retry_no_answer_minutes": 45}
        )
        now = datetime(2026, 3, 2, 9, 0)
        with freeze_time(now):
            target = self.make_targets(self.campaign, "0903000041")
            self.assertEqual(self.next_for(self.agent), target)
            self._call(target, "r-1", self.agent)
            self.assertEqual(target.state, "dialing")
            self._end(target, "r-1", "busy", now)
        self.assertEqual((target.state, target.attempts), ("scheduled", 1))
        self.assertEqual(target.result, "busy")
        self.assertEqual(target.next_attempt_at, now + timedelta(minutes=10))
        with freeze_time(now + timedelta(minutes=5)):
            self.assertFalse(self.next_for(self.agent), "not before the retry delay")
        later = now + timedelta(minutes=11)
        with freeze_time(later):
            self.assertEqual(self.next_for(self.agent_b), target)
            self._call(target, "r-2", self.agent_b)
            self._end(target, "r-2", "no_answer", later)
        self.assertEqual(target.next_attempt_at, later + timedelta(minutes=45))
        last = later + timedelta(hours=1)
        with freeze_time(last):
            self.assertEqual(self.next_for(self.agent), target)
            self._call(target, "r-3", self.agent)
            self._end(target, "r-3", "no_answer", last)
        self.assertEqual((target.state, target.attempts), ("failed", 3))
        with freeze_time(last + timedelta(days=1)):
            self.assertFalse(self.next_for(self.agent))

    def test_answered_call_then_wrap_up_with_an_allowed_disposition(self):
        target = self.make_targets(self.campaign, "0903000051")
        self.assertEqual(self.next_for(self.agent), target)
        self._call(target, "w-1", self.agent)
        self._end(target, "w-1", "answered", datetime.now())
        self.assertEqual((target.state, target.result), ("done", "reached"))
        self.assertEqual(target.attempts, 1)
        # The workspace still shows it, for the wrap-up.
        current = self.Target.with_user(self.agent).telesales_current()["target"]
        self.assertEqual(current["id"], target.id)
        self.assertFalse(current["can_preview"])
        other = self.env["crm.callcenter.disposition"].create({"name": "Spam"})
        with self.assertRaisesRegex(UserError, "dispositions of campaign"):
            target.with_user(self.agent).action_telesales_wrap_up(other.id)
        with self.assertRaisesRegex(UserError, "not your current call"):
            target.with_user(self.agent_b).action_telesales_wrap_up(self.order.id)
        target.with_user(self.agent).action_telesales_wrap_up(
            self.order.id, "Two boxes"
        )
        self.assertEqual((target.state, target.result), ("done", "success"))
        self.assertEqual(target.disposition_id, self.order)
        call = target.last_call_id
        self.assertEqual((call.disposition_id, call.note), (self.order, "Two boxes"))
        self.assertFalse(
            self.Target.with_user(self.agent).telesales_current()["target"]
        )

    def test_wrap_up_during_the_call_asks_for_a_call_back(self):
        target = self.make_targets(self.campaign, "0903000061")
        self.assertEqual(self.next_for(self.agent), target)
        self._call(target, "cb-1", self.agent)
        self.feed(
            [
                self.center.event(
                    "call.answered",
                    "cb-1",
                    direction="outbound",
                    from_="101",
                    to=target.phone,
                    agent="101",
                )
            ]
        )
        self.assertEqual(target.state, "in_call")
        when = datetime.now().replace(microsecond=0) + timedelta(days=2)
        target.with_user(self.agent).action_telesales_wrap_up(
            self.interested.id, "Call after payday", when
        )
        self._end(target, "cb-1", "answered", datetime.now())
        self.assertEqual(target.state, "rescheduled", "the end keeps the call-back")
        self.assertEqual((target.result, target.attempts), ("callback", 1))
        self.assertEqual(target.sticky_user_id, self.agent)
        self.assertEqual(target.next_attempt_at, when)

    def test_time_zone_of_a_target(self):
        """The contact's time zone, else the number's when it has only one."""
        moscow, mobile, hanoi = self.make_targets(
            self.campaign, "+7 495 123-45-67", "+7 912 345-67-89", "0903 555 321"
        )
        self.assertEqual(moscow.tz, "Europe/Moscow")
        self.assertEqual(hanoi.tz, "Asia/Bangkok")
        # A Russian mobile may ring anywhere from Kaliningrad to Kamchatka.
        self.assertFalse(mobile.tz)
        self.partner.tz = "Asia/Yekaterinburg"
        mobile.partner_id = self.partner
        self.assertEqual(mobile.tz, "Asia/Yekaterinburg")
