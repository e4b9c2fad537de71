import uuid
from datetime import datetime, timedelta

from odoo import fields
from odoo.addons.crm_callcenter.tests.common import SECRET, CallcenterCase
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import freeze_time

TZ = "Asia/Ho_Chi_Minh"  # UTC+7: local days differ from UTC days
# 2026-03-02 (a Monday) 09:00 in Ho Chi Minh City, as naive UTC
DAY = datetime(2026, 3, 2, 2, 0, 0)
HOUR = timedelta(hours=1)


def utc(local_text):
    """Naive UTC of a Ho Chi Minh City local time."""
    return fields.Datetime.to_datetime(local_text) - timedelta(hours=7)


class TelesalesReportCase(CallcenterCase):
    """Campaign calls with known times, outcomes and costs, folded from
    the center's events like real ones.

    Campaign *Loans* (agents A and B), local days, USD 0.03 per started
    minute:

    ====  ======  =====  ====  ====  ==============================  =========
    call  target  agent  wait  talk  outcome                         cost
    ====  ======  =====  ====  ====  ==============================  =========
    k7    t5      A      -     -     no answer, 2026-02-28 10:00     0
    k8    t2      A      -     -     no answer, 2026-03-01 00:30     0
    k1    t1      A      10    120   reached, disposition success    0.06
    k2    t2      A      20    60    reached                         EUR 0.5
    k3    t3      A      -     -     no answer                       0
    k4    t4      B      5     30    reached, target result success  0.03
    k5    t5      -      8     3     answered, no agent: abandoned   0.03
    k6    t3      B      -     -     busy, 2026-03-03 00:30          0
    ====  ======  =====  ====  ====  ==============================  =========

    k1..k5 are on 2026-03-02 from 09:00, an hour apart. k6 is still
    2026-03-02 in UTC, k8 is 2026-02-28 in UTC (a Saturday: another week
    there, the week of Sunday 2026-03-01 here, in en_US weeks).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.env.ref("base.USD")
        cls.eur = cls.env.ref("base.EUR")
        cls.provider.write(
            {
                "cost_per_minute": 0.03,
                "cost_currency_id": cls.usd.id,
                "cost_increment": 60,
            }
        )
        cls.manager.tz = TZ
        Campaign = cls.env["crm.telesales.campaign"]
        cls.campaign = Campaign.create(
            {
                "name": "Loans",
                "provider_id": cls.provider.id,
                "user_ids": [(6, 0, (cls.agent | cls.agent_b).ids)],
            }
        )
        cls.other_campaign = Campaign.create(
            {
                "name": "Insurance",
                "provider_id": cls.provider.id,
                "user_ids": [(6, 0, cls.agent_b.ids)],
            }
        )
        cls.t1, cls.t2, cls.t3, cls.t4, cls.t5 = cls.env["crm.telesales.target"].create(
            [
                {"campaign_id": cls.campaign.id, "phone": f"090377700{i}"}
                for i in range(1, 6)
            ]
        )
        cls.success = cls.env.ref("crm_callcenter.crm_callcenter_disposition_order")

    def dial(
        self,
        call_id,
        target,
        start,
        *,
        agent=None,
        wait=None,
        talk=0,
        result=None,
        **end,
    ):
        """An outbound call of ``target``, placed from Odoo like the dialer
        does (the row first, linked to the target), then folded from the
        center's events: answered ``wait`` s after ``start`` and ended
        ``talk`` s later, else ended unanswered after 30 s."""
        correlation = str(uuid.uuid4())
        target.state = "dialing"  # as the dialer leaves it
        if result:
            # Given during the call (script answer, early wrap-up).
            target.result = result
        ext = {self.agent: "101", self.agent_b: "102"}.get(agent)
        provider = target.campaign_id.provider_id
        self.env["crm.callcenter.call"].create(
            {
                "provider_id": provider.id,
                "company_id": provider.company_id.id,
                "external_call_id": f"odoo-c2c-{correlation}",
                "correlation_id": correlation,
                "direction": "outbound",
                "state": "ringing",
                "to_number": target.phone,
                "customer_number": target.phone,
                "user_id": agent.id if agent else False,
                "extension": ext or False,
                "started_at": start,
                "telesales_target_id": target.id,
            }
        )
        common = {
            "direction": "outbound",
            "from_": ext or "queue",
            "to": target.phone,
            "correlation_id": correlation,
        }
        if ext:
            common["agent"] = ext
        events = [self.center.event("call.ringing", call_id, at=start, **common)]
        if wait is None:
            ended_at = start + timedelta(seconds=30)
        else:
            answered_at = start + timedelta(seconds=wait)
            events.append(
                self.center.event("call.answered", call_id, at=answered_at, **common)
            )
            ended_at = answered_at + timedelta(seconds=talk)
        events.append(
            self.center.event("call.ended", call_id, at=ended_at, **common, **end)
        )
        self.feed(events, provider=provider)
        call = self.get_call(call_id, provider=provider)
        self.assertEqual(call.telesales_campaign_id, target.campaign_id)
        return call

    def build_calls(self):
        self.k7 = self.dial("k7", self.t5, utc("2026-02-28 10:00:00"), agent=self.agent)
        self.k8 = self.dial("k8", self.t2, utc("2026-03-01 00:30:00"), agent=self.agent)
        self.k1 = self.dial("k1", self.t1, DAY, agent=self.agent, wait=10, talk=120)
        self.k1.disposition_id = self.success  # the agent's call log
        self.k2 = self.dial(
            "k2",
            self.t2,
            DAY + HOUR,
            agent=self.agent,
            wait=20,
            talk=60,
            cost=0.5,
            currency="EUR",
        )
        self.k3 = self.dial("k3", self.t3, DAY + 2 * HOUR, agent=self.agent)
        # The agent's wrap-up decided before the call ended.
        self.k4 = self.dial(
            "k4",
            self.t4,
            DAY + 3 * HOUR,
            agent=self.agent_b,
            wait=5,
            talk=30,
            result="success",
        )
        self.k5 = self.dial("k5", self.t5, DAY + 4 * HOUR, wait=8, talk=3)
        self.k6 = self.dial(
            "k6",
            self.t3,
            utc("2026-03-03 00:30:00"),
            agent=self.agent_b,
            outcome="busy",
        )
        # The folding and the targets are other people's: check the fixtures.
        self.assertEqual(self.k5.outcome, "answered")
        self.assertFalse(self.k5.user_id)
        self.assertEqual(self.k6.outcome, "busy")
        self.assertEqual(self.t4.last_call_id, self.k4)
        self.assertEqual(self.t3.attempts, 2)

    def report(
        self,
        date_from="2026-03-02",
        date_to="2026-03-03",
        groupby="agent",
        user=None,
        campaigns=None,
        **context,
    ):
        campaigns = campaigns if campaigns is not None else self.campaign
        return (
            campaigns.with_user(user or self.manager)
            .with_context(**{"tz": TZ, **context})
            .get_report_data(date_from, date_to, groupby)
        )

    def log_presence(self, user, *stretches):
        """``(presence, local start, local end or None)`` stretches."""
        self.env["crm.callcenter.presence.log"].create(
            [
                {
                    "user_id": user.id,
                    "presence": presence,
                    "date_start": utc(start),
                    "date_end": utc(end) if end else False,
                }
                for presence, start, end in stretches
            ]
        )


@tagged("post_install", "-at_install")
class TestTelesalesReport(TelesalesReportCase):
    def setUp(self):
        super().setUp()
        self.build_calls()

    def test_kpis_of_a_day(self):
        totals = self.report("2026-03-02", "2026-03-02")["totals"]
        self.assertEqual(totals["attempts"], 5)  # k1..k5
        self.assertEqual(totals["answered"], 4)  # k1 k2 k4 k5
        self.assertEqual(totals["reached"], 3)  # k1 k2 k4
        self.assertEqual(totals["success"], 2)  # k1 (disposition), k4 (result)
        self.assertEqual(totals["abandoned"], 1)  # k5
        self.assertEqual(totals["targets_called"], 5)  # t1..t5, once each
        self.assertEqual(totals["attempts_per_target"], 1.0)
        self.assertAlmostEqual(totals["reached_rate"], 3 / 5)
        self.assertAlmostEqual(totals["success_rate"], 2 / 3)
        self.assertAlmostEqual(totals["abandonment_rate"], 1 / 4)
        # Talk of the reached calls only: the abandoned call's 3 s are nobody's.
        self.assertEqual(totals["talk_seconds"], 120 + 60 + 30)
        self.assertAlmostEqual(totals["avg_talk_seconds"], 70.0)
        # Ringing before the customer answered, over the answered calls.
        self.assertAlmostEqual(totals["avg_wait_seconds"], (10 + 20 + 5 + 8) / 4)

    def test_costs_per_currency(self):
        totals = self.report("2026-03-02", "2026-03-02")["totals"]
        costs = {cost["currency"]: cost["amount"] for cost in totals["costs"]}
        # k1 2 min, k4 and k5 1 started minute each at 0.03; k3 unanswered.
        self.assertAlmostEqual(costs.pop("USD"), 0.06 + 0.03 + 0.03)
        # k2 as the center billed it.
        self.assertAlmostEqual(costs.pop("EUR"), 0.5)
        self.assertFalse(costs)

    def test_per_agent(self):
        data = self.report()
        groups = {group["label"]: group for group in data["groups"]}
        self.assertEqual(set(groups), {"Agent A", "Agent B", "No Agent"})
        agent_a, agent_b = groups["Agent A"], groups["Agent B"]
        self.assertEqual(
            (agent_a["attempts"], agent_a["reached"], agent_a["success"]), (3, 2, 1)
        )
        self.assertAlmostEqual(agent_a["reached_rate"], 2 / 3)
        self.assertAlmostEqual(agent_a["success_rate"], 1 / 2)
        self.assertEqual(agent_a["talk_seconds"], 180)
        self.assertAlmostEqual(agent_a["avg_wait_seconds"], 15.0)
        self.assertEqual(
            {c["currency"]: c["amount"] for c in agent_a["costs"]},
            {"USD": 0.06, "EUR": 0.5},
        )
        # k4 reached and successful, k6 busy on 2026-03-03 (local)
        self.assertEqual((agent_b["attempts"], agent_b["success"]), (2, 1))
        # Over both days t3 was called twice (k3, k6): 6 attempts, 5 targets.
        self.assertEqual(data["totals"]["targets_called"], 5)
        self.assertAlmostEqual(data["totals"]["attempts_per_target"], 1.2)
        self.assertAlmostEqual(agent_b["reached_rate"], 1 / 2)
        self.assertEqual(groups["No Agent"]["abandoned"], 1)
        self.assertEqual(groups["No Agent"]["abandonment_rate"], 1.0)
        self.assertIsNone(groups["No Agent"]["success_rate"])
        # Busiest first; the rows add up to the totals.
        self.assertEqual(data["groups"][0]["label"], "Agent A")
        self.assertEqual(sum(g["attempts"] for g in data["groups"]), 6)
        self.assertEqual(data["totals"]["attempts"], 6)

    def test_days_and_weeks_in_the_users_time_zone(self):
        data = self.report("2026-02-28", "2026-03-03", groupby="day")
        days = {group["key"]: group["attempts"] for group in data["groups"]}
        self.assertEqual(
            days, {"2026-02-28": 1, "2026-03-01": 1, "2026-03-02": 5, "2026-03-03": 1}
        )
        self.assertEqual([g["key"] for g in data["groups"]], sorted(days))
        # In UTC, k8 and k6 fall on the day before.
        utc_days = self.report("2026-02-28", "2026-03-03", groupby="day", tz="UTC")
        self.assertEqual(
            {g["key"]: g["attempts"] for g in utc_days["groups"]},
            {"2026-02-28": 2, "2026-03-02": 6},
        )
        # en_US weeks start on Sunday: k8 (Sunday 00:30 here) opens the week
        # of 2026-03-01, with k1..k6; k7 is the week before.
        self.assertEqual(self.env["res.lang"]._lang_get("en_US").week_start, "7")
        weeks = self.report("2026-02-28", "2026-03-03", groupby="week")["groups"]
        self.assertEqual(
            {g["key"]: g["attempts"] for g in weeks},
            {"2026-02-22": 1, "2026-03-01": 7},
        )
        self.assertTrue(all(g["label"].startswith("Week of") for g in weeks))
        # The same calls in UTC weeks: k8 moves to the week before.
        utc_weeks = self.report("2026-02-28", "2026-03-03", groupby="week", tz="UTC")
        self.assertEqual(
            {g["key"]: g["attempts"] for g in utc_weeks["groups"]},
            {"2026-02-22": 2, "2026-03-01": 6},
        )

    def test_group_rows_open_exactly_their_calls(self):
        Report = self.env["crm.telesales.report"].with_user(self.manager)
        for groupby in ("agent", "day", "week"):
            data = self.report("2026-02-28", "2026-03-03", groupby=groupby)
            for group in data["groups"]:
                rows = Report.search(group["domain"])
                self.assertEqual(len(rows), group["attempts"], (groupby, group["key"]))
        day = next(
            g for g in self.report(groupby="day")["groups"] if g["key"] == "2026-03-03"
        )
        self.assertEqual(Report.search(day["domain"]).call_id, self.k6)

    def test_campaigns_are_apart(self):
        other_target = self.env["crm.telesales.target"].create(
            {"campaign_id": self.other_campaign.id, "phone": "0903777999"}
        )
        self.dial("x1", other_target, DAY, agent=self.agent_b, wait=3, talk=40)
        self.assertEqual(
            self.report("2026-03-02", "2026-03-02")["totals"]["attempts"], 5
        )
        other = self.report("2026-03-02", "2026-03-02", campaigns=self.other_campaign)
        self.assertEqual(other["totals"]["attempts"], 1)
        self.assertEqual(other["totals"]["reached"], 1)
        both = self.report(
            "2026-03-02", "2026-03-02", campaigns=self.campaign | self.other_campaign
        )
        self.assertEqual(both["totals"]["attempts"], 6)

    def test_sms_costs_of_the_campaigns(self):
        """With crm_callcenter_sms, the SMS sent for a campaign (by its UTM
        campaign) count in its costs, within the period only."""
        if "crm.callcenter.sms.log" not in self.env:
            self.skipTest("crm_callcenter_sms is not installed")
        usd = self.env.ref("base.USD")
        Log = self.env["crm.callcenter.sms.log"]
        for key, campaign, sent, cost in (
            ("a", self.campaign, utc("2026-03-02 10:00:00"), 0.07),
            ("b", self.campaign, utc("2026-03-02 11:00:00"), 0.14),
            ("c", self.other_campaign, utc("2026-03-02 12:00:00"), 0.05),
            ("d", self.campaign, utc("2026-03-04 10:00:00"), 9.0),
        ):
            Log.create(
                {
                    "dedup_key": f"report-test:{key}",
                    "campaign_id": campaign.utm_campaign_id.id,
                    "state": "sent",
                    "sent_date": sent,
                    "cost": cost,
                    "currency_id": usd.id,
                }
            )
        data = self.report(
            "2026-03-02",
            "2026-03-02",
            groupby="campaign",
            campaigns=self.campaign | self.other_campaign,
        )
        self.assertEqual(len(data["totals"]["sms_costs"]), 1)
        self.assertAlmostEqual(data["totals"]["sms_costs"][0]["amount"], 0.26)
        groups = {group["label"]: group for group in data["groups"]}
        self.assertAlmostEqual(groups["Loans"]["sms_costs"][0]["amount"], 0.21)

    def test_per_campaign(self):
        other_target = self.env["crm.telesales.target"].create(
            {"campaign_id": self.other_campaign.id, "phone": "0903777999"}
        )
        self.dial("x2", other_target, DAY, agent=self.agent_b, wait=3, talk=40)
        data = self.report(
            "2026-03-02",
            "2026-03-02",
            groupby="campaign",
            campaigns=self.campaign | self.other_campaign,
        )
        groups = {group["label"]: group for group in data["groups"]}
        self.assertEqual(list(groups), ["Loans", "Insurance"])  # busiest first
        loans, insurance = groups["Loans"], groups["Insurance"]
        self.assertEqual((loans["attempts"], loans["success"]), (5, 2))
        self.assertAlmostEqual(loans["reached_rate"], 3 / 5)
        self.assertEqual((insurance["attempts"], insurance["reached"]), (1, 1))
        self.assertEqual(insurance["talk_seconds"], 40)
        # Presence belongs to agents, not to one of their campaigns.
        self.assertIsNone(loans["occupancy"])
        Report = self.env["crm.telesales.report"].with_user(self.manager)
        self.assertEqual(Report.search(insurance["domain"]).target_id, other_target)

    def test_targets_by_state(self):
        (self.t1 | self.t2 | self.t4).state = "done"
        self.t3.state = "scheduled"
        self.t5.state = "failed"
        self.env["crm.telesales.target"].create(
            [
                {"campaign_id": self.campaign.id, "phone": "0903777801"},
                {"campaign_id": self.other_campaign.id, "phone": "0903777802"},
            ]
        )
        rows = self.report()["targets"]
        targets = {row["state"]: row["count"] for row in rows if row["count"]}
        self.assertEqual(
            targets, {"pending": 1, "done": 3, "scheduled": 1, "failed": 1}
        )
        # Every state, in the order of the workflow, zeros included.
        self.assertEqual(rows[0]["state"], "pending")
        self.assertEqual(len(rows), 9)

    def test_pivot_rates_are_averages_over_the_right_calls(self):
        Report = self.env["crm.telesales.report"].with_user(self.manager)
        domain = [
            ("campaign_id", "=", self.campaign.id),
            ("date", ">=", utc("2026-03-02 00:00:00")),
            ("date", "<", utc("2026-03-03 00:00:00")),
        ]
        [(attempts, reached, success, abandon, wait, talk)] = Report._read_group(
            domain,
            [],
            [
                "attempts:sum",
                "reached_rate:avg",
                "success_rate:avg",
                "abandon_rate:avg",
                "wait_seconds:avg",
                "talk_seconds:sum",
            ],
        )
        self.assertEqual(attempts, 5)
        self.assertAlmostEqual(reached, 60.0)
        self.assertAlmostEqual(success, 200 / 3)
        self.assertAlmostEqual(abandon, 25.0)
        self.assertAlmostEqual(wait, 10.75)
        self.assertEqual(talk, 210)
        self.assertEqual(
            dict(Report._read_group(domain, ["outcome"], ["__count"])),
            {"answered": 4, "no_answer": 1},
        )
        self.t1.state = "rejected"
        self.env.flush_all()  # the analysis is an SQL view over the targets
        self.assertEqual(
            Report.search([*domain, ("target_state", "=", "rejected")]).call_id,
            self.k1,
        )

    def test_period_checks_and_empty_period(self):
        empty = self.report("2026-01-01", "2026-01-31")
        self.assertEqual(empty["groups"], [])
        self.assertEqual(empty["totals"]["attempts"], 0)
        self.assertIsNone(empty["totals"]["reached_rate"])
        self.assertIsNone(empty["totals"]["occupancy"])
        self.assertEqual(empty["totals"]["costs"], [])
        with self.assertRaises(UserError):
            self.report("2026-03-02", "2026-03-01")
        with self.assertRaises(UserError):
            self.report(groupby="queue")


@tagged("post_install", "-at_install")
class TestTelesalesOccupancy(TelesalesReportCase):
    """Presence of the day, local times:

    Agent A, 2026-03-02: available 08:00-09:00, in call 09:00-09:10, wrap-up
    09:10-09:15, available 09:15-10:00, away 10:00-10:30, offline after.
    Agent B: available 2026-03-02 23:00 - 03-03 01:00 (across midnight),
    in call 01:00-01:30, offline after.
    """

    def setUp(self):
        super().setUp()
        self.log_presence(
            self.agent,
            ("available", "2026-03-02 08:00:00", "2026-03-02 09:00:00"),
            ("in_call", "2026-03-02 09:00:00", "2026-03-02 09:10:00"),
            ("wrap_up", "2026-03-02 09:10:00", "2026-03-02 09:15:00"),
            ("available", "2026-03-02 09:15:00", "2026-03-02 10:00:00"),
            ("away", "2026-03-02 10:00:00", "2026-03-02 10:30:00"),
            ("offline", "2026-03-02 10:30:00", "2026-03-03 23:00:00"),
        )
        self.log_presence(
            self.agent_b,
            ("available", "2026-03-02 23:00:00", "2026-03-03 01:00:00"),
            ("in_call", "2026-03-03 01:00:00", "2026-03-03 01:30:00"),
            ("offline", "2026-03-03 01:30:00", "2026-03-04 08:00:00"),
        )

    def test_occupancy_and_idle_per_agent(self):
        groups = {g["label"]: g for g in self.report()["groups"]}
        agent_a, agent_b = groups["Agent A"], groups["Agent B"]
        # Logged in: every presence but offline, away included.
        self.assertEqual(agent_a["logged_seconds"], 3600 + 600 + 300 + 2700 + 1800)
        self.assertEqual(agent_a["busy_seconds"], 900)
        self.assertAlmostEqual(agent_a["occupancy"], 900 / 9000)
        self.assertEqual(agent_a["idle_seconds"], 6300)
        self.assertEqual(agent_b["logged_seconds"], 9000)
        self.assertAlmostEqual(agent_b["occupancy"], 1800 / 9000)
        self.assertEqual(agent_b["idle_seconds"], 7200)
        # Logged in without a call in the period: shown, with no attempts.
        self.assertEqual(agent_b["attempts"], 0)
        totals = self.report()["totals"]
        self.assertEqual(totals["logged_seconds"], 18000)
        self.assertAlmostEqual(totals["occupancy"], 2700 / 18000)
        self.assertEqual(totals["idle_seconds"], 13500)

    def test_days_are_cut_at_local_midnight(self):
        days = {g["key"]: g for g in self.report(groupby="day")["groups"]}
        # No call yet: days with presence are listed all the same.
        self.assertEqual(set(days), {"2026-03-02", "2026-03-03"})
        self.assertEqual(days["2026-03-02"]["attempts"], 0)
        self.assertEqual(days["2026-03-02"]["idle_seconds"], 6300 + 3600)
        weeks = self.report(groupby="week")["groups"]
        self.assertEqual([g["key"] for g in weeks], ["2026-03-01"])
        self.assertEqual(weeks[0]["logged_seconds"], 18000)
        self.build_calls()
        days = {g["key"]: g for g in self.report(groupby="day")["groups"]}
        # B's evening counts one hour on each side of midnight.
        self.assertEqual(days["2026-03-02"]["logged_seconds"], 9000 + 3600)
        self.assertAlmostEqual(days["2026-03-02"]["occupancy"], 900 / 12600)
        self.assertEqual(days["2026-03-03"]["logged_seconds"], 5400)
        self.assertEqual(days["2026-03-03"]["idle_seconds"], 3600)
        self.assertAlmostEqual(days["2026-03-03"]["occupancy"], 1800 / 5400)
        only_second = self.report("2026-03-02", "2026-03-02")["totals"]
        self.assertEqual(only_second["logged_seconds"], 12600)

    @freeze_time("2026-03-03 16:30:00")
    def test_current_presence_runs_until_now(self):
        # A logs in at 23:00 local (16:00 UTC) and still is, at 23:30.
        self.log_presence(self.agent, ("available", "2026-03-03 23:00:00", None))
        agent_a = next(
            g
            for g in self.report("2026-03-03", "2026-03-03")["groups"]
            if g["label"] == "Agent A"
        )
        self.assertEqual(agent_a["logged_seconds"], 1800)
        self.assertEqual(agent_a["idle_seconds"], 1800)
        self.assertEqual(agent_a["occupancy"], 0.0)


@tagged("post_install", "-at_install")
class TestTelesalesReportAccess(TelesalesReportCase):
    def test_only_call_center_managers(self):
        with self.assertRaises(AccessError):
            self.report(user=self.agent)
        with self.assertRaises(AccessError):
            self.env["crm.telesales.report"].with_user(self.agent).search([])
        salesman = new_test_user(
            self.env, login="ts_salesman", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.report(user=salesman)

    def test_the_reporting_menu_covers_every_started_campaign(self):
        (self.campaign | self.other_campaign).action_start()
        self.other_campaign.action_pause()
        draft = self.env["crm.telesales.campaign"].create(
            {"name": "Not yet", "provider_id": self.provider.id}
        )
        target = self.env["crm.telesales.target"].create(
            {"campaign_id": self.other_campaign.id, "phone": "0903777999"}
        )
        self.dial("m1", target, DAY, agent=self.agent_b, wait=3, talk=40)
        self.dial("m2", self.t1, DAY, agent=self.agent, wait=3, talk=40)
        data = self.report(
            "2026-03-02", "2026-03-02", campaigns=self.env["crm.telesales.campaign"]
        )
        self.assertGreaterEqual(
            {c["id"] for c in data["campaigns"]},
            {self.campaign.id, self.other_campaign.id},
        )
        self.assertNotIn(draft.id, [c["id"] for c in data["campaigns"]])
        mine = [
            g for g in data["groups"] if g["key"] in (self.agent | self.agent_b).ids
        ]
        self.assertEqual(sum(g["attempts"] for g in mine), 2)

    def test_multi_company(self):
        company_2 = self.env["res.company"].create({"name": "Branch"})
        provider_2 = self.env["crm.callcenter.provider"].create(
            {
                "name": "Branch Center",
                "code": "generic",
                "company_id": company_2.id,
                "default_country_id": self.vn.id,
                "webhook_secret": SECRET,
            }
        )
        branch = self.env["crm.telesales.campaign"].create(
            {
                "name": "Branch loans",
                "provider_id": provider_2.id,
                "company_id": company_2.id,
            }
        )
        (self.campaign | branch).state = "running"
        self.manager.company_ids |= company_2
        branch_target = self.env["crm.telesales.target"].create(
            {"campaign_id": branch.id, "phone": "0903777999"}
        )
        self.dial("mc1", self.t1, DAY, agent=self.agent, wait=3, talk=40)
        self.dial("mc2", branch_target, DAY, wait=3, talk=40)

        def figures(company_ids, campaigns=None):
            data = self.report(
                "2026-03-02",
                "2026-03-02",
                campaigns=campaigns or self.env["crm.telesales.campaign"],
                allowed_company_ids=company_ids,
            )
            ids = {c["id"] for c in data["campaigns"]}
            return ids & {self.campaign.id, branch.id}, data["totals"]["attempts"]

        main = self.env.company.id
        self.assertEqual(figures([main]), ({self.campaign.id}, 1))
        self.assertEqual(
            figures([main, company_2.id]), ({self.campaign.id, branch.id}, 2)
        )
        self.assertEqual(figures([company_2.id]), ({branch.id}, 1))
        with self.assertRaises(AccessError):
            figures([main], campaigns=branch)
        # The analysis keeps to the allowed companies too.
        Report = self.env["crm.telesales.report"].with_user(self.manager)
        self.assertEqual(
            Report.with_context(allowed_company_ids=[main])
            .search([("call_id.external_call_id", "in", ["mc1", "mc2"])])
            .call_id.mapped("external_call_id"),
            ["mc1"],
        )
