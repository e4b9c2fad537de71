from datetime import timedelta
from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import BASE_TIME, CallcenterCase


@tagged("post_install", "-at_install")
class TestMissedCallCallbacks(CallcenterCase):
    """Seed 000: every missed caller is called back, once, by someone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesperson = cls.agent_b
        cls.partner.user_id = cls.salesperson
        cls.team = cls.env["crm.team"].create(
            {"name": "Hotline", "member_ids": [(6, 0, (cls.agent | cls.agent_b).ids)]}
        )
        cls.provider.team_id = cls.team
        cls.call_type = cls.env.ref("mail.mail_activity_data_call")

    def miss(self, call_id, number="0903555111", start=BASE_TIME, **data):
        """An inbound call that rang and ended without an agent answering."""
        self.feed(
            [
                self.center.event(
                    "call.ringing", call_id, at=start, from_=number, agent="101"
                ),
                self.center.event(
                    "call.ended",
                    call_id,
                    at=start + timedelta(seconds=30),
                    from_=number,
                    **data,
                ),
            ]
        )
        self.run_missed_cron()
        return self.get_call(call_id)

    def call_back(self, call_id, number="0903555111", answered=True):
        events = [
            self.center.event(
                "call.ringing",
                call_id,
                direction="outbound",
                from_="101",
                to=number,
                agent="101",
                at=BASE_TIME + timedelta(hours=1),
            )
        ]
        if answered:
            events.append(
                self.center.event(
                    "call.answered",
                    call_id,
                    direction="outbound",
                    from_="101",
                    to=number,
                    agent="101",
                    at=BASE_TIME + timedelta(hours=1, seconds=10),
                )
            )
        events.append(
            self.center.event(
                "call.ended",
                call_id,
                direction="outbound",
                from_="101",
                to=number,
                at=BASE_TIME + timedelta(hours=1, minutes=2),
            )
        )
        self.feed(events)
        return self.get_call(call_id)

    def call_activities(self, record):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.call_type.id),
            ]
        )

    def test_missed_call_schedules_one_call_activity_for_the_salesperson(self):
        call = self.miss("cb-1")
        self.assertTrue(call.is_missed)
        self.assertEqual(call.callback_state, "pending")
        activity = self.call_activities(self.partner)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertEqual(activity.summary, "Call back +84903555111")
        self.assertEqual(call.callback_activity_id, activity)

    def test_ivr_answered_call_without_agent_is_missed(self):
        # The IVR picked up and the caller hung up there: the provider reports
        # the call as missed even though a machine answered it.
        call = self.miss("cb-ivr", outcome="missed", duration=45)
        self.assertEqual(call.outcome, "missed")
        self.assertTrue(call.is_missed)
        self.assertEqual(len(self.call_activities(self.partner)), 1)

    def test_further_missed_calls_add_to_the_same_activity(self):
        first = self.miss("cb-2a")
        second = self.miss(
            "cb-2b", number="+84 903 555 111", start=BASE_TIME.replace(hour=11)
        )
        activity = self.call_activities(self.partner)
        self.assertEqual(len(activity), 1)
        self.assertEqual(first.callback_id, second.callback_id)
        self.assertEqual(first.callback_id.missed_count, 2)
        self.assertIn("2 missed calls", activity.summary)
        self.assertEqual(activity.note.count("Missed call at"), 2)

    def test_the_note_lists_the_latest_missed_calls_only(self):
        for hour in range(12):
            self.miss(f"cb-many-{hour}", start=BASE_TIME.replace(hour=hour))
        activity = self.call_activities(self.partner)
        self.assertEqual(len(activity), 1)
        self.assertIn("12 missed calls", activity.summary)
        self.assertEqual(activity.note.count("Missed call at"), 10)
        self.assertIn("2 earlier missed calls", activity.note)

    def test_unknown_numbers_become_leads_shared_round_robin(self):
        first = self.miss("cb-3a", number="0912000001")
        second = self.miss("cb-3b", number="0912000002")
        third = self.miss("cb-3c", number="0912000003")
        for call in (first, second, third):
            self.assertTrue(call.lead_id, "a lead is created for an unknown number")
            self.assertEqual(call.lead_id.phone, call.customer_number)
            self.assertEqual(call.lead_id.team_id, self.team)
            activity = self.call_activities(call.lead_id)
            self.assertEqual(len(activity), 1)
            self.assertEqual(activity.user_id, call.lead_id.user_id)
        owners = [call.lead_id.user_id for call in (first, second, third)]
        self.assertEqual(set(owners[:2]), {self.agent, self.agent_b})
        self.assertEqual(owners[2], owners[0])

    def test_answered_call_back_marks_the_activity_done(self):
        missed = self.miss("cb-4")
        self.miss("cb-4b")
        activity = self.call_activities(self.partner)
        back = self.call_back("cb-4-back")
        self.assertFalse(activity.active, "the activity is done")
        self.assertEqual(missed.callback_id.state, "done")
        self.assertEqual(missed.callback_id.done_call_id, back)
        self.assertEqual(missed.callback_state, "done")
        self.assertEqual(missed.callback_call_id, back)
        self.assertEqual(self.get_call("cb-4b").callback_state, "done")
        # The next missed call opens a new call-back.
        again = self.miss("cb-4c", start=BASE_TIME + timedelta(days=1))
        self.assertNotEqual(again.callback_id, missed.callback_id)
        self.assertEqual(again.callback_id.state, "open")

    def test_unanswered_call_back_keeps_it_open(self):
        missed = self.miss("cb-5")
        self.call_back("cb-5-back", answered=False)
        self.assertEqual(missed.callback_id.state, "open")
        self.assertTrue(self.call_activities(self.partner).active)

    def test_activity_done_by_hand_closes_the_call_back(self):
        missed = self.miss("cb-6")
        activity = self.call_activities(self.partner)
        activity.with_user(self.salesperson).action_feedback(
            feedback="Reached by e-mail"
        )
        self.assertEqual(missed.callback_id.state, "done")
        self.assertEqual(missed.callback_state, "done")

    def test_the_webhook_queues_the_missed_call_and_the_cron_calls_back(self):
        missed_cron = self.env.ref("crm_callcenter.ir_cron_crm_callcenter_missed")
        Trigger = self.env["ir.cron.trigger"]
        triggers = Trigger.search([("cron_id", "=", missed_cron.id)])
        self.feed(
            [
                self.center.event("call.ringing", "cb-q", from_="0903555111"),
                self.center.event("call.ended", "cb-q", from_="0903555111"),
            ]
        )
        call = self.get_call("cb-q")
        # The request recorded the call and woke the cron; nothing more.
        self.assertTrue(call.is_missed)
        self.assertTrue(call.callback_queued)
        self.assertFalse(call.callback_id)
        self.assertFalse(self.call_activities(self.partner))
        self.assertEqual(
            len(Trigger.search([("cron_id", "=", missed_cron.id)]) - triggers), 1
        )

        self.run_missed_cron()
        self.assertFalse(call.callback_queued)
        self.assertEqual(call.callback_state, "pending")
        self.assertEqual(len(self.call_activities(self.partner)), 1)
        # A second run finds nothing left to do.
        self.run_missed_cron()
        self.assertEqual(call.callback_id.missed_count, 1)

    def test_a_call_back_answered_before_the_cron_closes_it_at_once(self):
        self.feed(
            [
                self.center.event("call.ringing", "cb-r", from_="0903555111"),
                self.center.event("call.ended", "cb-r", from_="0903555111"),
            ]
        )
        back = self.call_back("cb-r-back")
        self.run_missed_cron()
        missed = self.get_call("cb-r")
        self.assertEqual(missed.callback_id.state, "done")
        self.assertEqual(missed.callback_id.done_call_id, back)
        self.assertEqual(missed.callback_state, "done")
        self.assertFalse(self.call_activities(self.partner).filtered("active"))

    def test_a_call_still_in_progress_answered_before_the_cron_closes_it(self):
        """The customer called again and is talking to an agent when the
        cron gives the missed call its call-back."""
        self.feed(
            [
                self.center.event("call.ringing", "cb-p", from_="0903555111"),
                self.center.event(
                    "call.ended",
                    "cb-p",
                    from_="0903555111",
                    at=BASE_TIME + timedelta(seconds=30),
                ),
            ]
        )
        # Ringing and answered, not ended yet.
        self.feed(
            [
                self.center.event(
                    "call.ringing",
                    "cb-p-again",
                    from_="0903555111",
                    agent="101",
                    at=BASE_TIME + timedelta(minutes=1),
                ),
                self.center.event(
                    "call.answered",
                    "cb-p-again",
                    from_="0903555111",
                    agent="101",
                    at=BASE_TIME + timedelta(minutes=1, seconds=10),
                ),
            ]
        )
        self.run_missed_cron()
        missed, again = self.get_call("cb-p"), self.get_call("cb-p-again")
        self.assertEqual(again.state, "answered")
        self.assertEqual(missed.callback_id.state, "done")
        self.assertEqual(missed.callback_id.done_call_id, again)
        self.assertEqual(missed.callback_state, "done")
        self.assertFalse(self.call_activities(self.partner).filtered("active"))

    def test_a_failing_call_back_stays_queued_without_blocking_others(self):
        for call_id, number in (("cb-f1", "0903555111"), ("cb-f2", "0903555222")):
            self.feed(
                [
                    self.center.event("call.ringing", call_id, from_=number),
                    self.center.event("call.ended", call_id, from_=number),
                ]
            )
        first, second = self.get_call("cb-f1"), self.get_call("cb-f2")
        Callback = type(self.env["crm.callcenter.callback"])
        register = Callback._register_missed_call

        def flaky(callback_model, call, provider):
            if call == first:
                raise ValueError("gateway down")
            return register(callback_model, call, provider)

        with (
            patch.object(Callback, "_register_missed_call", flaky),
            mute_logger("odoo.addons.crm_callcenter.models.crm_callcenter_call"),
        ):
            self.run_missed_cron()
        self.assertTrue(first.callback_queued)
        self.assertFalse(first.callback_id)
        self.assertFalse(second.callback_queued)
        self.assertEqual(second.callback_state, "pending")
        # Next run, the cause gone: it gets its call-back.
        self.run_missed_cron()
        self.assertFalse(first.callback_queued)
        self.assertEqual(first.callback_state, "pending")

    def test_answered_inbound_call_needs_no_call_back(self):
        self.feed(self.center.answered_call("cb-7"))
        self.assertFalse(self.get_call("cb-7").callback_state)
        self.assertFalse(self.call_activities(self.partner))

    def test_a_hidden_caller_is_missed_but_never_called_back(self):
        # A caller who withheld the number: counted as missed, but there is
        # nobody to call back, and no lead for "anonymous" either.
        activities = self.env["mail.activity"].search_count([])
        leads = self.env["crm.lead"].search_count([])
        for number in ("anonymous", "Restricted", "0000000000", "+266696687"):
            with self.subTest(number=number):
                call = self.miss(f"cb-hidden-{number}", number=number)
                self.assertTrue(call.is_missed)
                self.assertTrue(call.number_hidden)
                self.assertFalse(call.customer_number)
                self.assertEqual(call.from_number, number)
                self.assertFalse(call.callback_state)
                self.assertFalse(call.callback_id)
        self.assertEqual(self.env["mail.activity"].search_count([]), activities)
        self.assertEqual(self.env["crm.lead"].search_count([]), leads)
        self.assertFalse(
            self.env["crm.callcenter.callback"].search(
                [("provider_id", "=", self.provider.id)]
            )
        )
        # The caller's next call with the number shown is called back.
        self.assertEqual(self.miss("cb-hidden-then-shown").callback_state, "pending")

    def test_one_open_call_back_per_number_in_the_database(self):
        self.miss("cb-8")
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.env["crm.callcenter.callback"].create(
                {"company_id": self.env.company.id, "number": "+84903555111"}
            )
