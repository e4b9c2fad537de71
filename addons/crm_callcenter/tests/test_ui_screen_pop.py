import json
from datetime import datetime, timedelta

from odoo.tests import HttpCase, new_test_user, tagged

from .common import CallcenterCase

TOUR_REQUESTS_KEY = "crm_callcenter.tour_requests"  # see screen_pop_tour.js


@tagged("post_install", "-at_install")
class TestUiScreenPop(HttpCase, CallcenterCase):
    """The agent's screen pop, driven by real webhook requests in a browser.

    The test signs the contact center's requests (it holds the provider's
    secret) and hands them to the tour through localStorage; the tour posts
    each one to the webhook when the page is ready for it and waits for the
    card to follow. Every step thus goes webhook → call → bus → browser, in
    order, with no race between this thread and the browser.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.caller = cls.env["res.partner"].create(
            {
                "name": "Trần Văn Screenpop",
                "phone": "0903 555 222",
                "country_id": cls.vn.id,
            }
        )

    def _call_events(self, call_id, from_, *states):
        # Recent times: the server only reloads live calls of the last hours.
        start = datetime.now().replace(microsecond=0) - timedelta(seconds=30)
        offsets = {"ringing": 0, "answered": 5, "ended": 25}
        extra = {"ended": {"hangup_cause": "NORMAL_CLEARING"}}
        return [
            self.center.event(
                f"call.{state}",
                call_id,
                at=start + timedelta(seconds=offsets[state]),
                agent="101",
                from_=from_,
                **extra.get(state, {}),
            )
            for state in states
        ]

    def _start_tour(self, tour_name, signed_events, user=None, **data):
        url = f"/callcenter/webhook/{self.provider.webhook_token}"
        data["requests"] = [
            {"url": url, "body": body.decode(), "headers": headers}
            for body, headers in signed_events
        ]
        code = (
            f"localStorage.setItem({TOUR_REQUESTS_KEY!r}, {json.dumps(json.dumps(data))});"
            f"odoo.startTour({tour_name!r}, {json.dumps({'startUrl': '/odoo'})});"
        )
        # The tour posts without the browser's cookies, as a contact center
        # does (anonymous, signed): let such requests reach the test server.
        # HttpCase.setUp turns this off again for the next test.
        self.http_request_allow_all = True
        self.start_tour("/odoo", tour_name, login=(user or self.agent).login, code=code)

    def test_known_caller_pops_and_opens_on_answer(self):
        self.assertTrue(self.agent.callcenter_auto_open)
        # A VIP: the card carries the badge.
        vip = self.env["res.partner.category"].create({"name": "Key Account"})
        self.env.company.callcenter_vip_tag_ids = vip
        self.caller.category_id = vip
        events = self._call_events(
            "pop-known", "0903555222", "ringing", "answered", "ended"
        )
        self._start_tour(
            "crm_callcenter_screen_pop_known_caller",
            events,
            partnerId=self.caller.id,
        )
        call = self.assertCallLogged(
            "pop-known",
            user_id=self.agent,
            partner_id=self.caller,
            state="ended",
            outcome="answered",
        )
        self.assertEqual(call.note, "Wants a quote for 20 seats")
        self.assertTrue(call.logged_at)
        self.assertIn(
            "Wants a quote for 20 seats",
            self.caller.message_ids[:1].body,
            "the agent's notes are on the caller's chatter",
        )

    def test_unknown_caller_creates_lead_from_card(self):
        events = self._call_events("pop-unknown", "0903555333", "ringing", "answered")
        self._start_tour("crm_callcenter_screen_pop_unknown_caller", events)
        call = self.assertCallLogged(
            "pop-unknown", user_id=self.agent, state="answered"
        )
        lead = self.env["crm.lead"].search([("name", "=", "Screen pop lead")])
        self.assertEqual(len(lead), 1, "the lead was saved from the card")
        self.assertEqual(call.lead_id, lead, "saving the lead linked the call")
        self.assertEqual(lead.phone_sanitized, "+84903555333")
        self.assertEqual(self.agent.callcenter_presence, "in_call")

    def test_hidden_caller_card(self):
        events = self._call_events("pop-hidden", "anonymous", "ringing")
        self._start_tour("crm_callcenter_screen_pop_hidden_caller", events)
        self.assertCallLogged(
            "pop-hidden", number_hidden=True, from_number="anonymous", state="ringing"
        )

    def test_transferred_call_pops_for_the_second_agent(self):
        # Agent A (101) answers, then transfers the caller to agent B (102),
        # whose browser this is.
        start = datetime.now().replace(microsecond=0) - timedelta(seconds=60)
        events = [
            self.center.event(
                f"call.{state}",
                "pop-transfer",
                at=start + timedelta(seconds=offset),
                agent=agent,
                from_="0903555222",
            )
            for state, offset, agent in (
                ("ringing", 0, "101"),
                ("answered", 5, "101"),
                ("answered", 40, "102"),
            )
        ]
        self._start_tour(
            "crm_callcenter_screen_pop_transferred", events, user=self.agent_b
        )
        self.assertCallLogged(
            "pop-transfer",
            user_id=self.agent_b,
            transferred_from_user_ids=self.agent,
            state="answered",
        )

    def test_agent_goes_away_for_a_reason(self):
        self._start_tour("crm_callcenter_away_reason", [])
        self.assertEqual(self.agent.callcenter_presence, "away")
        self.assertEqual(
            self.agent.callcenter_away_reason_id,
            self.env.ref("crm_callcenter.crm_callcenter_away_reason_lunch"),
        )

    def test_no_call_center_for_salespeople_who_are_not_agents(self):
        new_test_user(
            self.env,
            login="cc_sales_only",
            groups="sales_team.group_sale_salesman",
        )
        code = """
        (async () => {
            const callcenter = odoo.__WOWL_DEBUG__.root.env.services.crm_callcenter;
            await callcenter.loaded;
            // Let the web client render whatever the loaded state asks for.
            await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
            if (callcenter.state.isAgent) {
                console.error("a salesperson is taken for a call center agent");
            } else if (document.querySelector(".o_crm_callcenter_systray")) {
                console.error("the call center systray is shown to a non-agent");
            } else {
                console.log("test successful");
            }
        })();
        """
        self.browser_js(
            "/odoo", code, ready="!!odoo.__WOWL_DEBUG__", login="cc_sales_only"
        )
