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
