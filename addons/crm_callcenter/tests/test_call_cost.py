from datetime import datetime, timedelta

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import freeze_time

from ..tools.providers import PayloadError
from .common import CallcenterCase

START = datetime(2026, 3, 2, 2, 0, 0)


class CallCostCase(CallcenterCase):
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

    def outbound(self, call_id, talk, *, wait=5, answered=True, **ended):
        """One outbound call from extension 101; ``ended`` goes in call.ended."""
        common = {"direction": "outbound", "from_": "101", "to": "0903777888"}
        events = [self.center.event("call.ringing", call_id, at=START, **common)]
        answered_at = START + timedelta(seconds=wait)
        if answered:
            events.append(
                self.center.event(
                    "call.answered", call_id, at=answered_at, agent="101", **common
                )
            )
        events.append(
            self.center.event(
                "call.ended",
                call_id,
                at=answered_at + timedelta(seconds=talk),
                **common,
                **ended,
            )
        )
        self.feed(events)
        return self.get_call(call_id)


@tagged("post_install", "-at_install")
class TestCallCost(CallCostCase):
    def test_per_minute_rate_rounds_talk_time_up_to_the_increment(self):
        # 61 s of talk: two started minutes.
        call = self.outbound("rate-61", 61)
        self.assertEqual(call.billsec, 61)
        self.assertAlmostEqual(call.cost, 0.06)
        self.assertEqual(call.cost_currency_id, self.usd)
        self.assertFalse(call.cost_reported)
        # Exactly one minute is one minute.
        self.assertAlmostEqual(self.outbound("rate-60", 60).cost, 0.03)

    def test_per_second_billing(self):
        self.provider.cost_increment = 1
        self.assertAlmostEqual(self.outbound("sec-61", 61).cost, 0.03 * 61 / 60)
        self.provider.cost_increment = 30
        # 61 s in 30 s blocks: 90 s billed.
        self.assertAlmostEqual(self.outbound("half-61", 61).cost, 0.045)

    def test_unanswered_and_inbound_calls_cost_nothing_by_rate(self):
        missed = self.outbound("rate-none", 0, answered=False)
        self.assertEqual(missed.outcome, "no_answer")
        self.assertEqual(missed.cost, 0.0)
        self.feed(self.center.answered_call("in-1"))
        inbound = self.get_call("in-1")
        self.assertEqual(inbound.billsec, 80)
        self.assertFalse(inbound.cost)
        self.assertFalse(inbound.cost_currency_id)

    def test_no_rate_no_cost(self):
        self.provider.cost_per_minute = 0
        call = self.outbound("free", 300)
        self.assertFalse(call.cost)
        self.assertFalse(call.cost_currency_id)

    def test_reported_cost_wins_over_the_rate(self):
        call = self.outbound("rep-1", 61, cost=0.017, currency="eur")
        self.assertAlmostEqual(call.cost, 0.017)  # sub-cent, as billed
        self.assertEqual(call.cost_currency_id, self.eur)
        self.assertTrue(call.cost_reported)
        # A late update of the talk time does not bring the rate back.
        self.feed(
            [
                self.center.event(
                    "call.updated",
                    "rep-1",
                    direction="outbound",
                    from_="101",
                    to="0903777888",
                    billsec=200,
                )
            ]
        )
        self.assertEqual(call.billsec, 200)
        self.assertEqual(call.cost_currency_id, self.eur)
        self.assertAlmostEqual(call.cost, 0.017)

    def test_reported_cost_without_currency_is_in_the_billing_currency(self):
        call = self.outbound("rep-2", 10, cost=1.25)
        self.assertAlmostEqual(call.cost, 1.25)
        self.assertEqual(call.cost_currency_id, self.usd)
        # Reported after the end (a CDR that comes later) replaces the rate.
        rated = self.outbound("rep-3", 10)
        self.assertAlmostEqual(rated.cost, 0.03)
        self.feed(
            [
                self.center.event(
                    "call.updated",
                    "rep-3",
                    direction="outbound",
                    from_="101",
                    to="0903777888",
                    cost=0.004,
                    currency="USD",
                )
            ]
        )
        self.assertAlmostEqual(rated.cost, 0.004)
        self.assertTrue(rated.cost_reported)

    def test_late_talk_time_reprices_a_rated_call(self):
        call = self.outbound("late", 10)
        self.assertAlmostEqual(call.cost, 0.03)
        self.feed(
            [
                self.center.event(
                    "call.updated",
                    "late",
                    direction="outbound",
                    from_="101",
                    to="0903777888",
                    billsec=130,
                )
            ]
        )
        self.assertAlmostEqual(call.cost, 0.09)

    def test_pricing_adds_no_query_to_the_webhook(self):
        def queries(call_id, **ended):
            self.outbound(f"{call_id}-warm", 61, **ended)  # caches as in use
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            call = self.outbound(call_id, 61, **ended)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before, call

        rated, call = queries("q-rated")
        self.assertAlmostEqual(call.cost, 0.06)
        reported, call = queries("q-reported", cost=0.01)
        self.assertAlmostEqual(call.cost, 0.01)
        self.provider.cost_per_minute = 0
        free, call = queries("q-free")
        self.assertFalse(call.cost)
        self.assertGreater(free, 0)
        self.assertEqual(rated, free)
        self.assertEqual(reported, free)

    def test_generic_adapter_reads_and_checks_the_cost(self):
        body, headers = self.center.event("call.ended", "p-1", cost=0.5, currency="usd")
        (event,) = self.adapter.parse(body, headers)
        self.assertEqual((event.cost, event.currency), (0.5, "USD"))
        body, headers = self.center.event("call.ended", "p-2")
        (event,) = self.adapter.parse(body, headers)
        self.assertEqual((event.cost, event.currency), (None, None))
        for bad, reason in (
            ({"cost": -1}, "data.cost"),
            ({"cost": "0.5"}, "data.cost"),
            ({"cost": True}, "data.cost"),
            ({"cost": 0.5, "currency": "dollars"}, "data.currency"),
            ({"currency": "USD"}, "without data.cost"),
        ):
            body, headers = self.center.event("call.ended", "p-3", **bad)
            with self.assertRaisesRegex(PayloadError, reason):
                self.adapter.parse(body, headers)


@tagged("post_install", "-at_install")
class TestCallCostWebhook(HttpCase, CallCostCase):
    def test_bad_cost_is_refused_with_a_reason(self):
        body, headers = self.center.event("call.ended", "http-c", cost="free")
        response = self.url_open(
            f"/callcenter/webhook/{self.provider.webhook_token}",
            data=body,
            headers=headers,
            timeout=30,
        )
        self.assertEqual(response.status_code, 400, response.text)
        self.assertIn("data.cost", response.json()["error"])
        self.assertFalse(self.get_call("http-c"))


@tagged("post_install", "-at_install")
class TestPresenceLog(CallcenterCase):
    def logs(self, user):
        return self.env["crm.callcenter.presence.log"].search(
            [("user_id", "=", user.id)], order="date_start, id"
        )

    def test_every_change_of_presence_is_logged(self):
        with freeze_time("2026-03-02 02:00:00"):
            self.agent.with_user(self.agent).callcenter_set_presence("available")
        with freeze_time("2026-03-02 02:10:00"):
            self.feed(
                self.center.answered_call("pl-1", start=datetime(2026, 3, 2, 2, 10))
            )
        with freeze_time("2026-03-02 02:20:00"):
            self.agent._callcenter_end_wrapup()
        with freeze_time("2026-03-02 02:30:00"):
            # Choosing the same presence again changes nothing.
            self.agent.with_user(self.agent).callcenter_set_presence("available")
            self.agent.with_user(self.agent).callcenter_set_presence("offline")
        logs = self.logs(self.agent)
        self.assertEqual(
            [(log.presence, log.date_start, log.date_end) for log in logs],
            [
                ("available", START, datetime(2026, 3, 2, 2, 10)),
                ("in_call", datetime(2026, 3, 2, 2, 10), datetime(2026, 3, 2, 2, 10)),
                ("wrap_up", datetime(2026, 3, 2, 2, 10), datetime(2026, 3, 2, 2, 20)),
                ("available", datetime(2026, 3, 2, 2, 20), datetime(2026, 3, 2, 2, 30)),
                ("offline", datetime(2026, 3, 2, 2, 30), False),
            ],
        )
        self.assertFalse(self.logs(self.agent_b))

    def test_only_managers_read_the_log(self):
        self.agent.with_user(self.agent).callcenter_set_presence("available")
        Log = self.env["crm.callcenter.presence.log"]
        self.assertEqual(
            len(Log.with_user(self.manager).search([("user_id", "=", self.agent.id)])),
            1,
        )
        with self.assertRaises(AccessError):
            Log.with_user(self.agent).search([])
