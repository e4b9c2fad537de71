import json
from datetime import datetime, timedelta
from unittest.mock import patch

import requests
import responses
from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import CallcenterCase


@tagged("post_install", "-at_install")
class TestProviderHealth(HttpCase, CallcenterCase):
    """Send Test Event through real HTTP to the running server, the failed
    events tab and the health figures of the provider form."""

    def send_test(self, provider=None):
        provider = (provider or self.provider).with_user(self.manager)
        # The test event is posted by the model, not through url_open: let
        # the server take requests without the test client's cookie.
        with self.allow_requests(all_requests=True):
            action = provider.action_send_test_event()
        self.env.invalidate_all()
        return action

    def provider_events(self):
        return self.env["crm.callcenter.event"].search(
            [("provider_id", "=", self.provider.id)]
        )

    def provider_calls(self):
        return self.env["crm.callcenter.call"].search(
            [("provider_id", "=", self.provider.id)]
        )

    def store_failed_event(self, body, error="database was down"):
        """An accepted event whose processing failed earlier (since fixed)."""
        return (
            self.env["crm.callcenter.event"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "company_id": self.provider.company_id.id,
                    "dedup_key": f"msg-failed-{len(self.provider_events())}",
                    "received_at": datetime.now(),
                    "payload": body.decode(),
                    "state": "error",
                    "error": error,
                    "attempts": 1,
                }
            )
        )

    # ------------------------------------------------------------------
    # Send Test Event
    # ------------------------------------------------------------------

    def test_send_test_event_reaches_the_webhook_and_creates_no_call(self):
        self.assertTrue(self.provider.webhook_url.startswith(self.base_url()))
        action = self.send_test()
        params = action["params"]
        self.assertEqual(params["type"], "success", params["message"])
        self.assertEqual(params["message"], 'HTTP 200: {"status": "ok"}')
        provider = self.provider.with_user(self.manager)
        self.assertTrue(provider.last_test_ok)
        self.assertEqual(provider.last_test_result, 'HTTP 200: {"status": "ok"}')
        self.assertTrue(provider.last_test_at)
        # The server stored the ping as received, as ignored, without a call.
        event = self.provider_events()
        self.assertEqual(len(event), 1)
        self.assertEqual(event.state, "ignored")
        self.assertFalse(event.call_id)
        self.assertTrue(event.dedup_key.startswith("msg_odoo-test-"))
        self.assertEqual(json.loads(event.payload)["type"], "ping")
        self.assertFalse(self.provider_calls())
        self.assertEqual(provider.rejected_count, 0)
        # A second test is a new message, not a redelivery of the first.
        self.send_test()
        self.assertEqual(len(self.provider_events()), 2)

    def test_send_test_event_with_a_stale_secret_shows_401(self):
        """The contact center still signs with the secret before a
        regeneration: the test shows the refusal its events get."""
        url, body, headers = self.provider.with_user(
            self.manager
        )._prepare_test_request()
        self.provider.action_regenerate_secret()
        with self.allow_requests(all_requests=True):
            action = self.provider.with_user(self.manager)._post_test_request(
                url, body, headers
            )
        self.env.invalidate_all()
        params = action["params"]
        self.assertEqual(params["type"], "danger")
        self.assertTrue(params["sticky"])
        self.assertTrue(params["message"].startswith("HTTP 401: "), params["message"])
        self.assertIn("invalid signature", params["message"])
        provider = self.provider.with_user(self.manager)
        self.assertFalse(provider.last_test_ok)
        self.assertIn("HTTP 401", provider.last_test_result)
        self.assertEqual(provider.rejected_count, 1)
        self.assertFalse(self.provider_events())
        self.assertFalse(self.provider_calls())

    def test_send_test_event_keeps_any_answer_as_text(self):
        """A proxy in front of Odoo may answer anything, NUL included
        (PostgreSQL cannot store it): the result keeps U+FFFD instead."""
        url, body, headers = self.provider.with_user(
            self.manager
        )._prepare_test_request()
        with responses.RequestsMock() as proxy:
            proxy.add(responses.POST, url, body=b"Bad\x00Gateway", status=502)
            action = self.provider.with_user(self.manager)._post_test_request(
                url, body, headers
            )
        self.assertEqual(action["params"]["message"], "HTTP 502: Bad\ufffdGateway")
        self.env.invalidate_all()
        self.assertEqual(
            self.provider.with_user(self.manager).last_test_result,
            "HTTP 502: Bad\ufffdGateway",
        )

    def test_send_test_event_without_a_valid_secret_says_so(self):
        self.provider.webhook_secret = "not-a-secret"
        with self.assertRaisesRegex(UserError, "cannot be signed"):
            self.provider.with_user(self.manager).action_send_test_event()

    def test_send_test_event_connection_refused(self):
        self.env["ir.config_parameter"].set_param("web.base.url", "http://127.0.0.1:1")
        action = self.send_test()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("Connection refused", action["params"]["message"])
        provider = self.provider.with_user(self.manager)
        self.assertFalse(provider.last_test_ok)
        self.assertIn("Connection failed", provider.last_test_result)

    @responses.activate
    def test_send_test_event_timeout_explains_single_worker(self):
        responses.add(
            responses.POST,
            self.provider.webhook_url,
            body=requests.exceptions.ReadTimeout("read timed out"),
        )
        self.provider.request_timeout = 3
        action = self.send_test()
        self.assertEqual(len(responses.calls), 1)
        message = action["params"]["message"]
        self.assertIn("No answer within 3 s", message)
        self.assertIn("at least 2 workers", message)
        self.assertFalse(self.provider.with_user(self.manager).last_test_ok)

    def test_agent_cannot_send_test_events(self):
        with self.assertRaises(AccessError):
            self.provider.with_user(self.agent).action_send_test_event()

    # ------------------------------------------------------------------
    # Failed events and reprocessing
    # ------------------------------------------------------------------

    def test_reprocess_all_failed_events_from_the_provider(self):
        body, _headers = self.center.event("call.ringing", "health-1", agent="101")
        failed = self.store_failed_event(body)
        provider = self.provider.with_user(self.manager)
        self.assertEqual(provider.error_event_ids, failed)
        self.assertEqual(provider.event_error_count, 1)
        action = provider.action_reprocess_errors()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(action["params"]["message"], "Processed: 1.")
        self.assertEqual(failed.state, "done")
        self.assertCallLogged("health-1", state="ringing", user_id=self.agent)
        provider.invalidate_recordset()
        self.assertFalse(provider.error_event_ids)
        self.assertEqual(provider.event_error_count, 0)
        with self.assertRaisesRegex(UserError, "no failed events"):
            provider.action_reprocess_errors()

    def test_reprocess_selected_events_reports_what_still_fails(self):
        good_body, _headers = self.center.event("call.ringing", "health-2")
        good = self.store_failed_event(good_body)
        broken = self.store_failed_event(b'{"type": "call.ringing"}')
        events = (good | broken).with_user(self.manager)
        action = events.action_reprocess()
        params = action["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("Processed: 1 of 2. Still failing: 1", params["message"])
        self.assertIn("data must be a JSON object", params["message"])
        self.assertEqual(good.state, "done")
        self.assertEqual(broken.state, "error")
        self.assertEqual(broken.error, "data must be a JSON object")
        self.assertTrue(self.get_call("health-2"))

    def test_reprocess_list_action_is_bound_for_managers(self):
        action = self.env.ref("crm_callcenter.crm_callcenter_event_action_reprocess")
        self.assertEqual(action.binding_model_id.model, "crm.callcenter.event")
        self.assertEqual(
            action.group_ids,
            self.env.ref("crm_callcenter.crm_callcenter_group_manager"),
        )
        body, _headers = self.center.event("call.ringing", "health-3")
        failed = self.store_failed_event(body)
        result = (
            action.with_user(self.manager)
            .with_context(
                active_model="crm.callcenter.event",
                active_ids=failed.ids,
                active_id=failed.id,
            )
            .run()
        )
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(failed.state, "done")

    # ------------------------------------------------------------------
    # Health figures
    # ------------------------------------------------------------------

    @freeze_time("2026-03-02 03:00:00")
    def test_health_counts_today_in_the_users_time_zone(self):
        self.manager.tz = "Asia/Ho_Chi_Minh"  # UTC+7: today began at 17:00 UTC
        Event = self.env["crm.callcenter.event"].sudo()
        for key, received_at, state in (
            ("a", "2026-03-02 02:30:00", "done"),  # 30 min ago
            ("b", "2026-03-02 00:30:00", "error"),  # today, 2h30 ago
            ("c", "2026-03-01 18:00:00", "done"),  # 01:00 local: today
            ("d", "2026-03-01 16:00:00", "error"),  # 23:00 local: yesterday
        ):
            Event.create(
                {
                    "provider_id": self.provider.id,
                    "company_id": self.provider.company_id.id,
                    "dedup_key": key,
                    "received_at": received_at,
                    "payload": "{}",
                    "state": state,
                }
            )
        provider = self.provider.with_user(self.manager)
        self.assertEqual(provider.event_hour_count, 1)
        self.assertEqual(provider.event_today_count, 3)
        self.assertEqual(provider.event_error_count, 2)
        self.assertEqual(provider.last_event_at, datetime(2026, 3, 2, 2, 30))
        self.assertEqual(len(provider.error_event_ids), 2)
        other = self.provider.copy({"name": "Quiet"}).with_user(self.manager)
        self.assertEqual(
            (other.event_today_count, other.event_error_count, other.last_event_at),
            (0, 0, False),
        )
        self.assertEqual(
            (
                provider.with_context(tz="UTC").event_today_count,
                provider.with_context(tz="UTC").event_hour_count,
            ),
            (2, 1),
        )

    def test_events_waiting_without_a_cron_worker_show(self):
        """Queued events that nobody folds: the manager sees how many, since
        when, and a warning once they wait longer than a cron worker takes."""
        self.provider.event_processing = "queued"
        self.feed(self.center.answered_call("stuck-1", agent="101"))
        provider = self.provider.with_user(self.manager)
        self.assertEqual(provider.queued_count, 3)
        self.assertFalse(provider.queue_stalled, "just received: on its way")

        self.env.cr.execute(
            "UPDATE crm_callcenter_event SET received_at = received_at"
            " - interval '5 minutes' WHERE provider_id = %s AND state = 'new'",
            [self.provider.id],
        )
        provider.invalidate_recordset()
        self.assertTrue(provider.queue_stalled)
        self.assertLess(provider.queued_since, datetime.now() - timedelta(minutes=4))
        # The form says what to check.
        arch = provider.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("o_crm_callcenter_queue_stalled", arch)

        with patch.object(self.env.cr, "commit"):
            self.env["crm.callcenter.event"]._cron_process_queue()
        provider.invalidate_recordset()
        self.assertEqual((provider.queued_count, provider.queue_stalled), (0, False))

    def test_stream_health_shows_for_websocket_providers_only(self):
        self.assertFalse(self.provider.is_websocket)
        arch = self.env["crm.callcenter.provider"].get_view(view_type="form")["arch"]
        stream = etree.fromstring(arch).xpath("//group[@name='event_stream']")
        self.assertEqual(stream[0].get("invisible"), "not is_websocket")
        names = {node.get("name") for node in stream[0].iter("field")}
        self.assertLessEqual(
            {"ws_state", "ws_state_at", "ws_last_event_at", "ws_error"}, names
        )

    def test_event_log_filters_and_access(self):
        Event = self.env["crm.callcenter.event"].with_user(self.manager)
        arch = etree.fromstring(Event.get_view(view_type="search")["arch"])
        filters = {node.get("name") for node in arch.iter("filter")}
        self.assertLessEqual(
            {
                "error",
                "pending",
                "done",
                "ignored",
                "last_hour",
                "today",
                "received_at",
                "group_provider",
                "group_state",
                "group_type",
                "group_received_day",
            },
            filters,
        )
        fields = {node.get("name") for node in arch.iter("field")}
        self.assertLessEqual({"provider_id", "event_type", "error"}, fields)
        # The filters' fields filter: failed events by their error text.
        body, _headers = self.center.event("call.ringing", "health-4")
        failed = self.store_failed_event(body, error="lock timeout on crm_lead")
        self.assertEqual(
            Event.search([("error", "ilike", "lock timeout")]),
            failed,
        )
        menu = self.env.ref("crm_callcenter.crm_callcenter_event_menu")
        self.assertEqual(
            menu.action, self.env.ref("crm_callcenter.crm_callcenter_event_action")
        )
        self.assertEqual(
            menu.parent_id, self.env.ref("crm_callcenter.crm_callcenter_config_menu")
        )
        visible = self.env["ir.ui.menu"].with_user(self.manager)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        visible = self.env["ir.ui.menu"].with_user(self.agent)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)
        # The raw payload and the inbox are the managers'.
        self.assertEqual(Event.browse(failed.id).payload, body.decode())
        with self.assertRaises(AccessError):
            self.env["crm.callcenter.event"].with_user(self.agent).browse(
                failed.id
            ).read(["payload"])

    def test_ping_parses_to_no_event_but_is_authenticated(self):
        body = json.dumps({"type": "ping", "data": {}}).encode()
        self.assertEqual(self.adapter.parse(body), [])
        good_body, good_headers = self.center.sign(body, "msg-ping-1")
        response = self.url_open(
            f"/callcenter/webhook/{self.provider.webhook_token}",
            data=good_body,
            headers=good_headers,
        )
        self.assertEqual(response.status_code, 200, response.text)
        bad_body, bad_headers = self.center.sign(
            body, "msg-ping-2", secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQQ=="
        )
        response = self.url_open(
            f"/callcenter/webhook/{self.provider.webhook_token}",
            data=bad_body,
            headers=bad_headers,
        )
        self.assertEqual(response.status_code, 401)
        self.assertEqual(self.provider_events().mapped("state"), ["ignored"])
        self.assertFalse(self.provider_calls())


REPROCESS_IN_BROWSER = """
const deadline = Date.now() + 20000;
const rows = () => document.querySelectorAll(
    '.o_field_widget[name=error_event_ids] .o_data_row');
let clicked = false;
const step = () => {
    if (Date.now() > deadline) {
        console.error('stuck: ' + document.body.innerText.slice(0, 2000));
        return;
    }
    const tab = [...document.querySelectorAll('.o_notebook .nav-link')]
        .find((link) => link.textContent.includes('Failed Events'));
    if (!tab) { return setTimeout(step, 100); }
    if (!tab.classList.contains('active')) { tab.click(); return setTimeout(step, 100); }
    if (!clicked) {
        const row = rows()[0];
        if (!row || !row.textContent.includes('%(error)s')) { return setTimeout(step, 100); }
        row.querySelector('button[name=action_reprocess]').click();
        clicked = true;
        return setTimeout(step, 100);
    }
    const notice = document.querySelector('.o_notification')?.textContent || '';
    if (notice.includes('Processed: 1.') && rows().length === 0) {
        console.log('test successful');
    } else {
        setTimeout(step, 100);
    }
};
step();
"""


@tagged("post_install", "-at_install")
class TestProviderHealthUi(HttpCase, CallcenterCase):
    def test_manager_reprocesses_a_failed_event_from_the_provider_form(self):
        body, _headers = self.center.event("call.ringing", "health-ui", agent="101")
        event = (
            self.env["crm.callcenter.event"]
            .sudo()
            .create(
                {
                    "provider_id": self.provider.id,
                    "company_id": self.provider.company_id.id,
                    "dedup_key": "msg-health-ui",
                    "received_at": datetime.now(),
                    "payload": body.decode(),
                    "state": "error",
                    "error": "could not obtain lock",
                }
            )
        )
        self.browser_js(
            f"/odoo/action-crm_callcenter.crm_callcenter_provider_action/{self.provider.id}",
            REPROCESS_IN_BROWSER % {"error": "could not obtain lock"},
            login="cc_manager",
        )
        self.env.invalidate_all()
        self.assertEqual(event.state, "done")
        self.assertCallLogged("health-ui", state="ringing", user_id=self.agent)
