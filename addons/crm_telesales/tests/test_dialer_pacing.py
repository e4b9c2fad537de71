from datetime import datetime, timedelta

from freezegun import freeze_time

from .dialer_common import DialerCase


class TestDialerPacing(DialerCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign.write(
            {
                "mode": "predictive",
                "queue_extension": "800",
                "pacing_ratio": 1.5,
                "max_lines": 8,
                "abandon_rate_cap": 3.0,
                "abandon_window": 40,
            }
        )

    def lines(self, free, stats, ringing=0, live=0):
        return self.Dialer._predictive_lines_to_dial(
            self.campaign, free, stats, ringing=ringing, live=live
        )

    def test_lines_from_free_agents_and_measured_answer_rate(self):
        # Too few calls to measure: the campaign's initial ratio.
        self.assertEqual(self.lines(2, (5, 1, 0)), 3)
        self.assertEqual(self.lines(0, (5, 1, 0)), 0, "no free agent, no line")
        # 40 calls, 16 answered: 2.5 lines per free agent.
        self.assertEqual(self.lines(2, (40, 16, 0)), 5)
        self.assertEqual(self.lines(2, (40, 16, 0), ringing=3, live=5), 2)
        # Never above the campaign's lines, counting the live calls.
        self.assertEqual(self.lines(3, (40, 16, 0)), 7)
        self.assertEqual(self.lines(4, (40, 16, 0)), 8)
        self.assertEqual(self.lines(4, (40, 16, 0), live=6), 2)
        # Everybody answers: one line per agent, never less.
        self.assertEqual(self.lines(3, (40, 40, 0)), 3)

    def test_abandonment_above_the_cap_falls_back_to_one_line_per_agent(self):
        # 1 of 20 answered calls had no agent: 5 % > 3 %.
        self.assertEqual(self.lines(3, (40, 20, 1)), 3)
        self.campaign.abandon_rate_cap = 6.0
        self.assertEqual(self.lines(3, (40, 20, 1)), 6)

    def _ended_calls(self, outcomes, start):
        """Ended calls of the campaign, oldest first: ``(outcome, agent)``."""
        target = self.make_targets(self.campaign, "0903000091")
        Call = self.env["crm.callcenter.call"].sudo()
        for i, (outcome, agent) in enumerate(outcomes):
            at = start + timedelta(minutes=i)
            Call.create(
                {
                    "provider_id": self.provider.id,
                    "company_id": self.provider.company_id.id,
                    "external_call_id": f"stat-{i}",
                    "direction": "outbound",
                    "state": "ended",
                    "outcome": outcome,
                    "user_id": agent.id,
                    "started_at": at,
                    "ended_at": at,
                    "telesales_target_id": target.id,
                }
            )

    def test_rates_measured_over_the_last_calls_of_the_campaign(self):
        start = datetime(2026, 3, 2, 8, 0)
        nobody = self.env["res.users"]
        # Long ago: 20 abandoned calls; since: 30 calls, 10 answered by an
        # agent, 2 answered with no agent free.
        old = [("answered", nobody)] * 20
        recent = (
            [("no_answer", nobody)] * 18
            + [("answered", self.agent)] * 10
            + [("answered", nobody)] * 2
        )
        self._ended_calls(old + recent, start)
        other = self.make_campaign("Other", self.agent)
        self.campaign.abandon_window = 30
        stats = self.Dialer._campaign_call_stats(self.campaign | other)
        self.assertEqual(stats[self.campaign.id], (30, 12, 2))
        self.assertEqual(stats[other.id], (0, 0, 0))
        self.assertAlmostEqual(self.campaign.answer_rate, 40.0)
        self.assertAlmostEqual(self.campaign.abandon_rate, 2 / 12 * 100)
        # The whole history counts with a wider window.
        self.campaign.abandon_window = 100
        self.assertEqual(
            self.Dialer._campaign_call_stats(self.campaign)[self.campaign.id],
            (50, 32, 22),
        )
        # 2/12 abandoned is above the 3 % cap: one line per free agent.
        self.campaign.abandon_window = 30
        self.assertEqual(self.lines(2, stats[self.campaign.id]), 2)
        self.campaign.abandon_rate_cap = 20.0
        self.assertEqual(self.lines(2, stats[self.campaign.id]), 5)

    def test_a_target_whose_call_never_reports_back_is_released(self):
        self.campaign.write({"mode": "preview", "dial_timeout_minutes": 15})
        now = datetime(2026, 3, 2, 9, 0)
        with freeze_time(now):
            target = self.make_targets(self.campaign, "0903000095")
            self.assertEqual(self.next_for(self.agent), target)
        with freeze_time(now + timedelta(minutes=14)):
            self.Dialer._release_stale()
            self.assertEqual(target.state, "dialing")
        with freeze_time(now + timedelta(minutes=16)):
            self.Dialer._release_stale()
            self.assertEqual((target.state, target.user_id.id), ("scheduled", False))
            self.assertEqual(self.next_for(self.agent_b), target)
            # A call that was answered and never ended holds it for hours.
            target.state = "in_call"
        with freeze_time(now + timedelta(hours=3)):
            self.Dialer._release_stale()
            self.assertEqual(target.state, "in_call")
        with freeze_time(now + timedelta(hours=5)):
            self.Dialer._release_stale()
            self.assertEqual(target.state, "scheduled")
