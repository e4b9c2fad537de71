from datetime import datetime, timedelta

from odoo.tests import tagged
from odoo.tests.common import freeze_time

from ..tools.providers import get_adapter
from .common import CallcenterCase


@tagged("post_install", "-at_install")
class TestCustomerSatisfaction(CallcenterCase):
    """The callers' post-call survey scores: on the call, in the filters and
    on the dashboard (CSAT: the share of 4 and 5)."""

    def survey(self, call_id, score, at, **data):
        return self.center.event(
            "call.updated", call_id, at=at, satisfaction=score, **data
        )

    def test_the_score_comes_after_the_call_or_before_it(self):
        start = datetime(2026, 3, 2, 2, 0)
        self.feed(self.center.answered_call("csat-1", start=start))
        self.feed([self.survey("csat-1", 5, start + timedelta(minutes=2))])
        call = self.get_call("csat-1")
        self.assertEqual(
            (call.state, call.outcome, call.satisfaction), ("ended", "answered", 5)
        )

        # Out of order: the survey's message overtook the call's end.
        events = self.center.answered_call("csat-2", start=start)
        self.feed([events[0], self.survey("csat-2", 2, start + timedelta(minutes=2))])
        self.feed(events[1:])
        call = self.get_call("csat-2")
        self.assertEqual(
            (call.state, call.outcome, call.satisfaction), ("ended", "answered", 2)
        )

        # The center sends it again, corrected: the last one counts; a
        # redelivery of the same message changes nothing.
        corrected = self.survey("csat-2", 4, start + timedelta(minutes=3))
        self.feed([corrected, corrected])
        self.assertEqual(call.satisfaction, 4)
        Call = self.env["crm.callcenter.call"]
        ours = [("external_call_id", "in", ["csat-1", "csat-2"])]
        self.assertEqual(Call.search_count([*ours, ("satisfaction", ">=", 4)]), 2)
        self.assertEqual(
            Call.search_count(
                [*ours, ("satisfaction", ">", 0), ("satisfaction", "<=", 2)]
            ),
            0,
        )

    def test_a_score_out_of_the_scale_is_refused_whole(self):
        adapter = get_adapter("generic")
        for bad in (0, 6, 4.5, "5", True):
            body, _headers = self.survey("csat-bad", bad, datetime(2026, 3, 2, 2, 0))
            with (
                self.subTest(score=bad),
                self.assertRaisesRegex(
                    ValueError, "satisfaction must be a whole number from 1 to 5"
                ),
            ):
                adapter.parse(body)

    def test_the_dashboard_shows_the_csat(self):
        start = datetime(2026, 3, 2, 2, 0)  # 09:00 in Ho Chi Minh City
        scores = {"101": [5, 4, 2, None], "102": [1]}
        for agent, agent_scores in scores.items():
            for index, score in enumerate(agent_scores):
                call_id = f"csat-dash-{agent}-{index}"
                at = start + timedelta(minutes=10 * index)
                self.feed(self.center.answered_call(call_id, agent=agent, start=at))
                if score:
                    self.feed([self.survey(call_id, score, at + timedelta(minutes=3))])
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        with freeze_time(start + timedelta(hours=2)):
            data = Call.with_context(tz="Asia/Ho_Chi_Minh").get_dashboard_data(
                "2026-03-02", "2026-03-02"
            )
        totals = data["totals"]
        self.assertEqual((totals["rated"], totals["satisfied"]), (4, 2))
        self.assertAlmostEqual(totals["satisfaction_rate"], 0.5)
        self.assertAlmostEqual(totals["avg_satisfaction"], 3.0)
        rows = {group["key"]: group for group in data["groups"]}
        self.assertAlmostEqual(rows[self.agent.id]["satisfaction_rate"], 2 / 3)
        self.assertAlmostEqual(rows[self.agent.id]["avg_satisfaction"], 11 / 3, 2)
        self.assertEqual(rows[self.agent_b.id]["satisfaction_rate"], 0)
        # What the tile lists: the rated calls of the period.
        rated = Call.search([*data["domain"], ("satisfaction", ">", 0)])
        self.assertEqual(len(rated), 4)

    def test_no_score_no_figure(self):
        start = datetime(2026, 3, 2, 2, 0)
        self.feed(self.center.answered_call("csat-none", start=start))
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        with freeze_time(start + timedelta(hours=2)):
            totals = Call.get_dashboard_data("2026-03-02", "2026-03-02")["totals"]
        self.assertEqual(totals["rated"], 0)
        self.assertIsNone(totals["satisfaction_rate"])
        self.assertIsNone(totals["avg_satisfaction"])


@tagged("post_install", "-at_install")
class TestDissatisfiedFollowUp(CallcenterCase):
    """A caller who scores a call 1 or 2 gets a call back from a team
    leader, once per call."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.leader = cls.env["res.users"].create(
            {"name": "Team Leader", "login": "cc_leader", "tz": "Asia/Ho_Chi_Minh"}
        )
        cls.team = cls.env["crm.team"].create(
            {"name": "Hotline", "user_id": cls.leader.id}
        )
        cls.provider.team_id = cls.team
        cls.start = datetime(2026, 3, 2, 2, 0)

    def scored(self, call_id, *scores, from_="0903555111"):
        self.feed(self.center.answered_call(call_id, from_=from_, start=self.start))
        for index, score in enumerate(scores):
            at = self.start + timedelta(minutes=3 + index)
            self.feed(
                [
                    self.center.event(
                        "call.updated", call_id, at=at, from_=from_, satisfaction=score
                    )
                ]
            )
        return self.get_call(call_id)

    def followups(self, record):
        return record.activity_ids.filtered(
            lambda a: a.summary and a.summary.startswith("Dissatisfied caller")
        )

    def test_a_low_score_schedules_one_call_for_the_team_leader(self):
        call = self.scored("csat-low", 2, 1)  # the center corrects it to 1
        activities = self.followups(self.partner)
        self.assertEqual(len(activities), 1, "once per call")
        self.assertEqual(activities.user_id, self.leader)
        self.assertEqual(
            activities.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(activities.summary, "Dissatisfied caller: 2/5")
        self.assertIn("9:00 AM", str(activities.note), "the call's time, leader's zone")
        self.assertIn(self.agent.name, str(activities.note))
        self.assertEqual(call.satisfaction_activity_id, activities)
        self.assertEqual(call.satisfaction, 1)

        # Done, then the same score delivered again: nothing more.
        activities.action_feedback("Called back, apologised")
        self.scored("csat-low", 1)
        self.assertFalse(self.followups(self.partner))

    def test_no_follow_up_for_good_scores_or_when_off(self):
        self.scored("csat-good", 3, 5)
        self.assertFalse(self.followups(self.partner))
        self.env.company.callcenter_followup_dissatisfied = False
        self.scored("csat-off", 1)
        self.assertFalse(self.followups(self.partner))

    def test_the_salesperson_without_a_team_leader_and_nothing_without_a_record(self):
        self.team.user_id = False
        salesperson = self.env["res.users"].create(
            {"name": "Salesperson", "login": "cc_sales"}
        )
        lead = self.env["crm.lead"].create(
            {
                "name": "Angry prospect",
                "phone": "+84912000111",
                "user_id": salesperson.id,
            }
        )
        self.scored("csat-lead", 1, from_="0912000111")
        activities = self.followups(lead)
        self.assertEqual(activities.user_id, salesperson)

        # An unknown caller, no lead created: no record to put it on.
        call = self.scored("csat-unknown", 1, from_="0912999888")
        self.assertFalse(call.lead_id or call.partner_id)
        self.assertFalse(call.satisfaction_activity_id)
