from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import freeze_time

from .common import SECRET, CallcenterCase

TZ = "Asia/Ho_Chi_Minh"  # UTC+7: local days differ from UTC days
# 2026-03-02 09:00 in Ho Chi Minh City, stored as naive UTC
DAY = datetime(2026, 3, 2, 2, 0, 0)


class CallReportCase(CallcenterCase):
    """Calls with known times, folded from signed events like a real center's.

    On local day 2026-03-02 (UTC+7):

    ====  ========  =====  =====  ====  =====  =========================
    call  dir       agent  wait   talk  queue  end
    ====  ========  =====  =====  ====  =====  =========================
    c1    inbound   A      10 s   60 s  sales  answered
    c2    inbound   A      30 s   120s  sales  answered
    c3    outbound  A      5 s    150s         answered
    c4    inbound   B      20 s   30 s  supp.  answered
    c5    inbound   B      -      -     supp.  caller hung up (abandoned)
    c6    inbound   -      -      -            voicemail (missed, not abandoned)
    ====  ========  =====  =====  ====  =====  =========================

    c7 (inbound, A, 15 s wait) starts on 2026-03-03 00:30 local, which is
    still 2026-03-02 in UTC; c8 on 2026-02-28 local.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.hotline = cls.env["crm.team"].create({"name": "Hotline"})
        cls.env["crm.callcenter.did"].create(
            {
                "name": "Hotline",
                "number": "+842838123456",
                "provider_id": cls.provider.id,
                "team_id": cls.hotline.id,
            }
        )
        cls.manager.tz = TZ

    def inbound(self, call_id, start, wait=None, talk=0, *, agent="101", **data):
        """Feed one inbound call: rings at ``start``, answered ``wait`` seconds
        later and talks ``talk`` seconds, or ends unanswered after 40 s."""
        number = data.pop("from_", "0903555111")
        queue = {"queue": data.pop("queue")} if "queue" in data else {}
        to = data.pop("to", "+842838123456")
        provider = data.pop("provider", None)
        common = {"from_": number, "to": to, **queue}
        agent_data = {"agent": agent} if agent else {}
        events = [
            self.center.event("call.ringing", call_id, at=start, **common, **agent_data)
        ]
        if wait is not None:
            answered_at = start + timedelta(seconds=wait)
            events.append(
                self.center.event(
                    "call.answered", call_id, at=answered_at, **common, **agent_data
                )
            )
            end = answered_at + timedelta(seconds=talk)
        else:
            end = start + timedelta(seconds=40)
        events.append(
            self.center.event("call.ended", call_id, at=end, **common, **data)
        )
        self.feed(events, provider=provider)
        self.run_missed_cron()
        return self.get_call(call_id, provider=provider)

    def outbound(self, call_id, start, wait, talk, *, agent="101", to="0903777888"):
        common = {"direction": "outbound", "from_": agent, "to": to, "agent": agent}
        answered_at = start + timedelta(seconds=wait)
        self.feed(
            [
                self.center.event("call.ringing", call_id, at=start, **common),
                self.center.event("call.answered", call_id, at=answered_at, **common),
                self.center.event(
                    "call.ended",
                    call_id,
                    at=answered_at + timedelta(seconds=talk),
                    **common,
                ),
            ]
        )
        return self.get_call(call_id)

    def build_day(self):
        hour = timedelta(hours=1)
        self.c1 = self.inbound("c1", DAY, 10, 60, queue="sales")
        self.c2 = self.inbound("c2", DAY + hour, 30, 120, queue="sales")
        self.c3 = self.outbound("c3", DAY + 2 * hour, 5, 150)
        self.c4 = self.inbound(
            "c4", DAY + 3 * hour, 20, 30, agent="102", queue="support"
        )
        self.c5 = self.inbound(
            "c5", DAY + 4 * hour, agent="102", queue="support", from_="0903000005"
        )
        self.c6 = self.inbound(
            "c6",
            DAY + 5 * hour,
            agent=None,
            outcome="voicemail",
            from_="0903000006",
            to="+842838999999",
        )
        # 2026-03-02 17:30 UTC = 2026-03-03 00:30 local
        self.c7 = self.inbound("c7", datetime(2026, 3, 2, 17, 30), 15, 45)
        # 2026-02-28 10:00 local
        self.c8 = self.inbound("c8", datetime(2026, 2, 28, 3, 0), 12, 50)
        # The folding is the lead's: make sure the fixtures are what we think.
        self.assertEqual(
            (self.c1 | self.c2 | self.c4).mapped("answer_seconds"), [10, 30, 20]
        )
        self.assertTrue(self.c5.is_abandoned)
        self.assertTrue(self.c6.is_missed)
        self.assertFalse(self.c6.is_abandoned)

    def dashboard(
        self,
        date_from="2026-03-01",
        date_to="2026-03-02",
        groupby="agent",
        user=None,
        **context,
    ):
        Call = self.env["crm.callcenter.call"].with_user(user or self.manager)
        return Call.with_context(**{"tz": TZ, **context}).get_dashboard_data(
            date_from, date_to, groupby
        )


@tagged("post_install", "-at_install")
class TestCallReports(CallReportCase):
    def setUp(self):
        super().setUp()
        self.build_day()

    def test_kpis_over_the_range(self):
        totals = self.dashboard()["totals"]
        self.assertEqual(totals["calls"], 6)
        self.assertEqual(totals["calls_in"], 5)
        self.assertEqual(totals["calls_out"], 1)
        self.assertEqual(totals["answered"], 4)  # c1 c2 c3 c4, both directions
        self.assertEqual(totals["missed"], 2)  # c5 c6
        self.assertEqual(totals["abandoned"], 1)  # c5
        self.assertAlmostEqual(totals["answer_rate"], 3 / 5)
        self.assertAlmostEqual(totals["avg_speed_of_answer"], (10 + 30 + 20) / 3)
        # Talk time of every answered call, the outbound one included.
        self.assertAlmostEqual(totals["avg_handle_time"], (60 + 120 + 150 + 30) / 4)
        self.assertAlmostEqual(totals["abandonment_rate"], 1 / 5)
        # Default threshold 20 s: c1 (10 s) and c4 (exactly 20 s) count.
        self.assertEqual(self.company.callcenter_service_level_seconds, 20)
        self.assertAlmostEqual(totals["service_level"], 2 / 5)
        self.assertEqual(totals["pending_callbacks"], 2)  # c5 c6

    def test_calls_whose_end_was_lost(self):
        """A call closed without its end counts, but its guessed talk time
        stays out of the handle time, and the figure tells how many."""
        self.assertEqual(self.dashboard()["totals"]["ends_lost"], 0)
        start = DAY + timedelta(hours=6)
        common = {"from_": "0903000010", "to": "+842838123456", "agent": "102"}
        self.feed(
            [
                self.center.event("call.ringing", "c9", at=start, **common),
                self.center.event(
                    "call.answered", "c9", at=start + timedelta(seconds=8), **common
                ),
            ]
        )
        c9 = self.get_call("c9")
        later = fields.Datetime.now() + timedelta(hours=5)
        with patch.object(self.env.cr, "commit"):
            self.env["crm.callcenter.call"]._close_silent_calls(now=later)
        self.assertRecordValues(
            c9, [{"state": "ended", "outcome": "answered", "end_inferred": True}]
        )

        totals = self.dashboard()["totals"]
        self.assertEqual(totals["ends_lost"], 1)
        self.assertEqual(totals["answered"], 5, "it was answered")
        self.assertAlmostEqual(totals["avg_speed_of_answer"], (10 + 30 + 20 + 8) / 4)
        # Its talk time is unknown: the known ones only.
        self.assertAlmostEqual(totals["avg_handle_time"], (60 + 120 + 150 + 30) / 4)
        groups = {group["label"]: group for group in self.dashboard()["groups"]}
        self.assertEqual(groups["Agent B"]["ends_lost"], 1)
        self.assertEqual(groups["Agent A"]["ends_lost"], 0)
        self.assertAlmostEqual(groups["Agent B"]["avg_handle_time"], 30.0)

    def test_service_level_threshold_is_the_company_setting(self):
        settings = self.env["res.config.settings"].create(
            {"callcenter_service_level_seconds": 10}
        )
        settings.execute()
        self.assertEqual(self.company.callcenter_service_level_seconds, 10)
        data = self.dashboard()
        self.assertEqual(data["service_level_seconds"], [10])
        self.assertAlmostEqual(data["totals"]["service_level"], 1 / 5)  # c1

        self.company.callcenter_service_level_seconds = 30
        self.assertAlmostEqual(self.dashboard()["totals"]["service_level"], 3 / 5)

    def test_short_abandons_are_left_out_of_the_rates(self):
        # c10: the caller hangs up 3 s after the first ring.
        start = DAY + timedelta(hours=6)
        common = {"from_": "0903000010", "to": "+842838123456", "agent": "102"}
        self.feed(
            [
                self.center.event("call.ringing", "c10", at=start, **common),
                self.center.event(
                    "call.ended", "c10", at=start + timedelta(seconds=3), **common
                ),
            ]
        )
        self.run_missed_cron()
        c10 = self.get_call("c10")
        self.assertTrue(c10.is_abandoned)
        self.assertEqual(c10.duration, 3)

        # Off (the default): an abandon like any other.
        self.assertEqual(self.company.callcenter_short_abandon_seconds, 0)
        totals = self.dashboard()["totals"]
        self.assertEqual((totals["abandoned"], totals["short_abandoned"]), (2, 0))
        self.assertAlmostEqual(totals["answer_rate"], 3 / 6)
        self.assertAlmostEqual(totals["abandonment_rate"], 2 / 6)
        self.assertAlmostEqual(totals["service_level"], 2 / 6)

        settings = self.env["res.config.settings"].create(
            {"callcenter_short_abandon_seconds": 5}
        )
        settings.execute()
        data = self.dashboard()
        self.assertEqual(data["short_abandon_seconds"], [5])
        totals = data["totals"]
        # c10 is left out of the rates; c5 (40 s) is still abandoned.
        self.assertEqual((totals["abandoned"], totals["short_abandoned"]), (1, 1))
        self.assertEqual(totals["calls_in"], 6)
        self.assertEqual(totals["missed"], 3, "a short abandon is still missed")
        self.assertEqual(totals["pending_callbacks"], 3, "and gets its call-back")
        self.assertAlmostEqual(totals["answer_rate"], 3 / 5)
        self.assertAlmostEqual(totals["abandonment_rate"], 1 / 5)
        self.assertAlmostEqual(totals["service_level"], 2 / 5)
        groups = {group["label"]: group for group in data["groups"]}
        self.assertEqual(groups["Agent B"]["short_abandoned"], 1)
        self.assertEqual(groups["Agent A"]["short_abandoned"], 0)

        # A threshold above c5's 40 s: both are short.
        self.company.callcenter_short_abandon_seconds = 60
        totals = self.dashboard()["totals"]
        self.assertEqual((totals["abandoned"], totals["short_abandoned"]), (0, 2))
        self.assertAlmostEqual(totals["answer_rate"], 3 / 4)

    def test_per_agent(self):
        groups = {group["label"]: group for group in self.dashboard()["groups"]}
        self.assertEqual(set(groups), {"Agent A", "Agent B", "No Agent"})
        agent_a, agent_b = groups["Agent A"], groups["Agent B"]
        nobody = groups["No Agent"]
        self.assertEqual((agent_a["calls_in"], agent_a["calls_out"]), (2, 1))
        self.assertEqual(agent_a["answer_rate"], 1.0)
        self.assertAlmostEqual(agent_a["avg_speed_of_answer"], 20.0)  # (10 + 30) / 2
        # (60 + 120 + 150) / 3: their outbound call counts too
        self.assertAlmostEqual(agent_a["avg_handle_time"], 110.0)
        self.assertAlmostEqual(agent_a["service_level"], 1 / 2)
        self.assertEqual((agent_b["calls_in"], agent_b["missed"]), (2, 1))
        self.assertAlmostEqual(agent_b["answer_rate"], 1 / 2)
        self.assertAlmostEqual(agent_b["abandonment_rate"], 1 / 2)
        self.assertAlmostEqual(agent_b["avg_handle_time"], 30.0)
        self.assertEqual((nobody["calls_in"], nobody["missed"]), (1, 1))
        self.assertEqual(nobody["answer_rate"], 0.0)
        self.assertIsNone(nobody["avg_speed_of_answer"])
        self.assertEqual(agent_a["key"], self.agent.id)
        self.assertFalse(nobody["key"])
        # Busiest first
        self.assertEqual(self.dashboard()["groups"][0]["label"], "Agent A")

    def test_group_rows_open_exactly_their_calls(self):
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        expected = {
            "agent": {"Agent A": self.c1 | self.c2 | self.c3, "No Agent": self.c6},
            "team": {"Hotline": self.c1 | self.c2 | self.c4 | self.c5},
            "queue": {
                "sales": self.c1 | self.c2,
                "support": self.c4 | self.c5,
                "No Queue": self.c3 | self.c6,
            },
        }
        for groupby in ("agent", "team", "queue", "day", "week"):
            data = self.dashboard(groupby=groupby)
            self.assertEqual(
                sum(group["calls"] for group in data["groups"]),
                data["totals"]["calls"],
                groupby,
            )
            for group in data["groups"]:
                calls = Call.search(group["domain"])
                self.assertEqual(len(calls), group["calls"], (groupby, group["label"]))
                if group["label"] in expected.get(groupby, {}):
                    self.assertEqual(calls, expected[groupby][group["label"]])

    def test_day_grouping_follows_the_users_time_zone(self):
        data = self.dashboard("2026-02-28", "2026-03-03", groupby="day")
        days = {group["key"]: group["calls"] for group in data["groups"]}
        self.assertEqual(days, {"2026-02-28": 1, "2026-03-02": 6, "2026-03-03": 1})
        third = next(g for g in data["groups"] if g["key"] == "2026-03-03")
        self.assertEqual(
            self.env["crm.callcenter.call"].search(third["domain"]), self.c7
        )
        self.assertEqual([g["key"] for g in data["groups"]], sorted(days))

        weeks = self.dashboard("2026-02-28", "2026-03-03", groupby="week")["groups"]
        self.assertEqual(sum(group["calls"] for group in weeks), 8)
        self.assertTrue(all(group["label"].startswith("Week of") for group in weeks))

    def test_date_range_filtering(self):
        self.assertEqual(
            self.dashboard("2026-03-02", "2026-03-02")["totals"]["calls"], 6
        )
        only_c7 = self.dashboard("2026-03-03", "2026-03-03")
        self.assertEqual(only_c7["totals"]["calls_in"], 1)
        self.assertAlmostEqual(only_c7["totals"]["avg_speed_of_answer"], 15.0)
        self.assertEqual(
            self.dashboard("2026-02-28", "2026-03-03")["totals"]["calls"], 8
        )
        # The same day in UTC holds c7 as well.
        self.assertEqual(
            self.dashboard("2026-03-02", "2026-03-02", tz="UTC")["totals"]["calls"], 7
        )
        empty = self.dashboard("2026-01-01", "2026-01-31")
        self.assertEqual(empty["groups"], [])
        self.assertEqual(empty["totals"]["calls"], 0)
        self.assertIsNone(empty["totals"]["answer_rate"])
        self.assertIsNone(empty["totals"]["service_level"])
        with self.assertRaises(UserError):
            self.dashboard("2026-03-02", "2026-03-01")

    @freeze_time("2026-03-05 02:00:00")
    def test_missed_calls_to_call_back_oldest_first_with_age(self):
        # Calls of the database (demo, earlier runs) waiting for a call back
        # are not this test's.
        self.env["crm.callcenter.call"].search(
            [
                ("callback_state", "=", "pending"),
                ("id", "not in", (self.c5 | self.c6).ids),
            ]
        ).write({"callback_state": "done"})
        # Not limited to the period: a call still to call back stays listed.
        pending = self.dashboard("2026-03-04", "2026-03-05")["pending"]
        self.assertEqual(pending["count"], 2)
        self.assertEqual(
            [call["id"] for call in pending["calls"]], [self.c5.id, self.c6.id]
        )
        self.assertEqual(pending["calls"][0]["number"], "+84903000005")
        self.assertEqual(
            pending["calls"][0]["age_seconds"],
            int((datetime(2026, 3, 5, 2) - self.c5.ended_at).total_seconds()),
        )
        self.assertEqual(pending["calls"][0]["age_seconds"], 3 * 86400 - 4 * 3600 - 40)
        # Calling c6's number back takes it off the list.
        self.outbound("c6-back", datetime(2026, 3, 5, 1, 0), 5, 30, to="0903000006")
        pending = self.dashboard("2026-03-04", "2026-03-05")["pending"]
        self.assertEqual([call["id"] for call in pending["calls"]], [self.c5.id])

    def test_only_call_center_managers(self):
        with self.assertRaises(AccessError):
            self.dashboard(user=self.agent)
        salesman = new_test_user(
            self.env, login="cc_salesman", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.dashboard(user=salesman)


@tagged("post_install", "-at_install")
class TestCallReportsMultiCompany(CallReportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_2 = cls.env["res.company"].create(
            {"name": "Branch", "callcenter_service_level_seconds": 5}
        )
        cls.provider_2 = cls.env["crm.callcenter.provider"].create(
            {
                "name": "Branch Center",
                "code": "generic",
                "company_id": cls.company_2.id,
                "default_country_id": cls.vn.id,
                "webhook_secret": SECRET,
            }
        )
        cls.manager.company_ids |= cls.company_2

    def test_figures_stay_within_the_allowed_companies(self):
        self.inbound("c1", DAY, 10, 60)
        self.inbound("branch", DAY, 8, 40, agent=None, provider=self.provider_2)
        main_only = self.dashboard(allowed_company_ids=[self.company.id])
        self.assertEqual(main_only["totals"]["calls"], 1)
        self.assertAlmostEqual(main_only["totals"]["avg_speed_of_answer"], 10.0)

        both = self.dashboard(allowed_company_ids=[self.company.id, self.company_2.id])
        self.assertEqual(both["totals"]["calls"], 2)
        self.assertAlmostEqual(both["totals"]["avg_speed_of_answer"], 9.0)
        # Each call meets its own company's threshold: 10 <= 20, but 8 > 5.
        self.assertAlmostEqual(both["totals"]["service_level"], 1 / 2)
        self.assertEqual(both["service_level_seconds"], [5, 20])

        branch_only = self.dashboard(allowed_company_ids=[self.company_2.id])
        self.assertEqual(branch_only["totals"]["calls"], 1)
        self.assertEqual(branch_only["totals"]["service_level"], 0.0)

        # A manager of the main company only never sees the branch.
        other = new_test_user(
            self.env,
            login="cc_manager_main",
            groups="crm_callcenter.crm_callcenter_group_manager",
        )
        self.assertEqual(self.dashboard(user=other)["totals"]["calls"], 1)


@tagged("post_install", "-at_install")
class TestCallReportsUi(HttpCase, CallReportCase):
    def test_manager_opens_the_dashboard(self):
        start = fields.Datetime.now() - timedelta(hours=2)
        self.inbound("ui-1", start, 10, 60)
        self.inbound(
            "ui-2", start + timedelta(minutes=5), agent="102", from_="0903000009"
        )
        # Demo calls may fall in the default period too: look for ours.
        code = """
            const deadline = Date.now() + 20000;
            const check = () => {
                const tile = document.querySelector(
                    '.o_crm_callcenter_kpi_calls_in .o_crm_callcenter_kpi_value');
                const rows = [...document.querySelectorAll(
                    '.o_crm_callcenter_dashboard_table .o_crm_callcenter_dashboard_row')];
                const agentB = rows.find((row) => row.textContent.includes('Agent B'));
                const pending = document.querySelector('.o_crm_callcenter_dashboard_pending');
                // Agents with an extension are in the schedule adherence,
                // with their punctuality (days late, left early, absent).
                const adherence = [...document.querySelectorAll(
                    '.o_crm_callcenter_dashboard_adherence_row')].some(
                    (row) => row.textContent.includes('Agent B') && [
                        'late', 'early', 'absent'].every((cell) => /^[0-9]+$/.test(
                        row.querySelector(
                            `.o_crm_callcenter_dashboard_adherence_${cell}`
                        )?.textContent.trim())));
                if (tile && Number(tile.textContent) >= 2 && agentB && adherence
                        && pending?.textContent.includes('+84903000009')) {
                    agentB.click();
                    const waitList = () => {
                        const listed = document.querySelectorAll('.o_list_view .o_data_row');
                        if (listed.length === 1
                                && listed[0].textContent.includes('+84903000009')) {
                            console.log('test successful');
                        } else if (Date.now() > deadline) {
                            console.error('the row did not open the calls of Agent B');
                        } else {
                            setTimeout(waitList, 100);
                        }
                    };
                    waitList();
                } else if (Date.now() > deadline) {
                    console.error('dashboard not shown: ' + document.body.innerText.slice(0, 800));
                } else {
                    setTimeout(check, 100);
                }
            };
            check();
        """
        self.browser_js(
            "/odoo/action-crm_callcenter.crm_callcenter_dashboard_action",
            code,
            login="cc_manager",
        )

    def test_lost_ends_tile_opens_those_calls(self):
        start = fields.Datetime.now() - timedelta(hours=2)
        self.inbound("ui-1", start, 10, 60)
        common = {"from_": "0903000011", "to": "+842838123456", "agent": "101"}
        self.feed(
            [
                self.center.event("call.ringing", "ui-3", at=start, **common),
                self.center.event(
                    "call.answered", "ui-3", at=start + timedelta(seconds=5), **common
                ),
            ]
        )
        with patch.object(self.env.cr, "commit"):
            self.env["crm.callcenter.call"]._close_silent_calls(
                now=fields.Datetime.now() + timedelta(hours=5)
            )
        self.assertTrue(self.get_call("ui-3").end_inferred)
        self.assert_tile_lists(
            "ends_lost", "document.querySelector('.o_crm_callcenter_kpi_calls_in')",
            listed="+84903000011", not_listed="+84903555111",
        )  # fmt: skip

    def test_satisfaction_tile_opens_the_rated_calls(self):
        start = fields.Datetime.now() - timedelta(hours=2)
        self.inbound("ui-1", start, 10, 60)
        self.inbound("ui-csat", start, 5, 60, from_="0903000012")
        self.feed(
            [
                self.center.event(
                    "call.updated",
                    "ui-csat",
                    at=start + timedelta(minutes=2),
                    from_="0903000012",
                    satisfaction=5,
                )
            ]
        )
        # Demo calls may be in the period too (one is rated); the CSAT
        # column shows with the tile.
        self.assert_tile_lists(
            "satisfaction",
            "tile.textContent.includes('rated') && document.querySelector("
            "'.o_crm_callcenter_dashboard_total .o_crm_callcenter_dashboard_csat')",
            listed="+84903000012",
            not_listed="+84903555111",
        )

    def assert_tile_lists(self, name, ready, listed, not_listed):
        """The dashboard shows tile ``name`` (and ``ready``, a JS condition
        that may read ``tile``); clicked, it lists the calls of ``listed``
        and none of ``not_listed``."""
        code = """
            const deadline = Date.now() + 20000;
            const check = () => {
                const tile = document.querySelector('.o_crm_callcenter_kpi_%(name)s');
                if (tile && %(ready)s) {
                    tile.click();
                    const waitList = () => {
                        const rows = [...document.querySelectorAll('.o_list_view .o_data_row')];
                        if (rows.some((row) => row.textContent.includes('%(listed)s'))
                                && rows.every((row) => !row.textContent.includes('%(not_listed)s'))) {
                            console.log('test successful');
                        } else if (Date.now() > deadline) {
                            console.error('the %(name)s tile did not open its calls: '
                                + document.body.innerText.slice(0, 800));
                        } else {
                            setTimeout(waitList, 100);
                        }
                    };
                    waitList();
                } else if (Date.now() > deadline) {
                    console.error('no %(name)s tile: ' + document.body.innerText.slice(0, 800));
                } else {
                    setTimeout(check, 100);
                }
            };
            check();
        """ % {"name": name, "ready": ready, "listed": listed, "not_listed": not_listed}  # noqa: UP031 (the JS braces)
        self.browser_js(
            "/odoo/action-crm_callcenter.crm_callcenter_dashboard_action",
            code,
            login="cc_manager",
        )

    def test_service_level_setting_in_crm_settings(self):
        code = """
            const deadline = Date.now() + 20000;
            const check = () => {
                const input = document.querySelector(
                    '.o_setting_box [name=callcenter_service_level_seconds] input');
                const short = document.querySelector(
                    '.o_setting_box [name=callcenter_short_abandon_seconds] input');
                if (input && input.value === '20' && short && short.value === '0') {
                    console.log('test successful');
                } else if (Date.now() > deadline) {
                    console.error('service level or short abandon setting not shown');
                } else {
                    setTimeout(check, 100);
                }
            };
            check();
        """
        self.browser_js("/odoo/settings#crm", code, login="admin")
