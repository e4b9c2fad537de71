"""The websocket listener against a fake Asterisk on a real local socket.

In-process tests run the listener's threads on the test transaction (the
registry in test mode hands them cursors wrapping it), so everything they
store is rolled back with the test. The SIGTERM test runs the real
``odoo-bin callcenter_listen`` process, which only sees committed rows: it
commits its provider and removes what it created.
"""

import base64
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from unittest.mock import patch

import requests
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.tests.common import get_db_name, release_test_lock
from odoo.tools import SQL, config

from ..cli.callcenter_listen import Listener, Snapshot, backoff_delay
from .asterisk_ari_common import ARI_PASSWORD, ARI_USER, AriCase, AriServer

LISTENER_LOGGER = "odoo.addons.crm_callcenter.cli.callcenter_listen"
STATE_FIELDS = ["ws_state", "ws_state_at", "ws_error", "ws_last_event_at"]


def wait_until(predicate, timeout=20, message="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(0.05)


class TestBackoff(AriCase):
    def test_capped_exponential_with_jitter(self):
        delays = [backoff_delay(attempt, 1.0, 60.0) for attempt in range(10)]
        for attempt, delay in enumerate(delays):
            ceiling = min(60.0, 2**attempt)
            self.assertGreaterEqual(delay, ceiling / 2)
            self.assertLessEqual(delay, ceiling)
        self.assertGreater(
            len({round(backoff_delay(3, 1.0, 60.0), 6) for _ in range(20)}), 1
        )


class TestListenerStore(AriCase):
    """What the listener does with one message when the database objects."""

    def setUp(self):
        super().setUp()
        self.registry_enter_test_mode()
        self.listener = Listener(self.env.cr.dbname)
        self.snapshot = Snapshot(
            self.ari, self.ari._get_adapter(), self.ari._get_adapter_config()
        )
        self.Event = type(self.env["crm.callcenter.event"])

    def parse(self, message):
        return self.snapshot.adapter.ws_parse(message)

    def test_concurrency_errors_are_retried(self):
        message = self.asterisk.answered_call()[0]
        key, events = self.parse(message)
        original = self.Event._receive
        attempts = []

        def loses_a_race_once(model, *args):
            attempts.append(args[1])
            if len(attempts) == 1:
                raise pg_errors.SerializationFailure("could not serialize access")
            return original(model, *args)

        with patch.object(self.Event, "_receive", loses_a_race_once):
            self.listener.store(self.snapshot, key, message, events)
        self.assertEqual(attempts, [key, key])
        self.env.invalidate_all()
        self.assertEqual(self.ari_calls().state, "ringing")
        self.assertEqual(len(self.ari_calls().event_ids), 1)

    def test_a_failure_keeps_the_message_for_the_retry_cron(self):
        message = self.asterisk.answered_call()[0]
        key, events = self.parse(message)
        with (
            patch.object(self.Event, "_receive", side_effect=RuntimeError("boom")),
            self.assertLogs(LISTENER_LOGGER, logging.ERROR),
        ):
            self.listener.store(self.snapshot, key, message, events)
        self.env.invalidate_all()
        event = self.env["crm.callcenter.event"].search([("dedup_key", "=", key)])
        self.assertRecordValues(
            event,
            [{"state": "error", "error": "boom", "payload": message, "call_id": False}],
        )
        self.assertTrue(event.next_retry_at)
        self.assertFalse(self.ari_calls())
        # What the cron does: parse the stored message again and fold it.
        event._process()
        self.assertEqual(event.state, "done")
        self.assertEqual(event.call_id.state, "ringing")


class TestLiveCalls(AriCase):
    """``GET /ari/channels`` read as the calls in progress."""

    def setUp(self):
        super().setUp()
        self.server = AriServer()
        self.addCleanup(self.server.close)
        self.ari.asterisk_ari_url = self.server.url
        self.adapter = self.ari._get_adapter()

    def live(self):
        return self.adapter.ws_live_call_ids(self.ari._get_adapter_config())

    def test_each_channel_names_its_call(self):
        customer = self.asterisk.inbound()
        agent = self.asterisk.agent_leg(customer)
        orphan = self.asterisk.inbound(number="79160000000")
        del orphan["channelvars"]
        self.server.channels = [customer, agent, orphan]
        self.assertEqual(self.live(), {customer["id"], orphan["id"]})
        self.server.channels = []
        self.assertEqual(self.live(), set())

    def test_api_key_authentication(self):
        self.ari.asterisk_ari_auth = "api_key"
        self.assertEqual(self.live(), set())
        self.ari.asterisk_ari_password = "wrong"
        with self.assertRaises(requests.HTTPError):
            self.live()

    def test_answers_that_are_no_channel_list(self):
        for answer in ({"channels": []}, [{"name": "PJSIP/101"}], ["x"]):
            self.server.channels = answer
            with self.subTest(answer=answer), self.assertRaises(ValueError):
                self.live()
        self.server.channels_status = 503
        with self.assertRaises(requests.HTTPError):
            self.live()


class TestCallcenterListen(AriCase):
    def setUp(self):
        super().setUp()
        self.server = AriServer()
        self.addCleanup(self.server.close)
        self.ari.asterisk_ari_url = self.server.url
        self.env.flush_all()
        self.registry_enter_test_mode()
        # The listener's threads take the test cursor in turns with this one:
        # from here on, this thread reads through self.registry.cursor() only
        # while the listener runs.
        self.enterContext(release_test_lock())
        self.listener = Listener(
            self.env.cr.dbname,
            poll_interval=0.2,
            backoff_base=0.05,
            backoff_max=0.5,
            stable_after=0,
            recv_timeout=0.1,
            event_stamp_interval=0,
        )
        self.thread = threading.Thread(target=self.listener.run, daemon=True)
        self.thread.start()
        self.addCleanup(self.stop_listener)

    def stop_listener(self):
        self.listener.stop()
        self.thread.join(20)
        self.assertFalse(self.thread.is_alive(), "the listener stops")

    def stream(self):
        wait_until(lambda: self.ari.id in self.listener.streams, message="the stream")
        return self.listener.streams[self.ari.id]

    def send_and_wait(self, *messages):
        stream = self.stream()
        target = stream.messages + len(messages)
        self.server.send(*messages)
        wait_until(lambda: stream.messages >= target, message="the messages")

    def read_state(self, provider=None):
        """The provider's stream fields as another transaction sees them."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            return (
                env["crm.callcenter.provider"]
                .browse((provider or self.ari).id)
                .read(STATE_FIELDS)[0]
            )

    def write_provider(self, vals):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["crm.callcenter.provider"].browse(self.ari.id).write(vals)

    def wait_state(self, state):
        wait_until(lambda: self.read_state()["ws_state"] == state, message=state)
        return self.read_state()

    def calls(self):
        """The provider's calls (once the listener has stopped)."""
        self.assertFalse(self.thread.is_alive())
        self.env.invalidate_all()
        return self.ari_calls()

    # -- tests ---------------------------------------------------------------

    def test_answered_call_over_the_socket(self):
        self.server.wait_connections(1)
        path, query, headers = self.server.handshakes[0]
        self.assertEqual(path, "/ari/events")
        self.assertEqual(query, {"app": "odoo", "subscribeAll": "true"})
        token = base64.b64encode(f"{ARI_USER}:{ARI_PASSWORD}".encode()).decode()
        self.assertEqual(headers["authorization"], f"Basic {token}")
        connected = self.wait_state("connected")
        self.assertFalse(connected["ws_error"])
        self.assertTrue(connected["ws_state_at"])
        self.assertFalse(connected["ws_last_event_at"])

        messages = self.asterisk.answered_call(name="Иван Петров")
        self.send_and_wait(*messages)
        state = self.read_state()
        self.assertEqual(state["ws_state"], "connected")
        self.assertTrue(state["ws_last_event_at"])
        self.assertEqual(self.stream().stored, 7)
        self.stop_listener()

        self.assertRecordValues(
            self.calls(),
            [
                {
                    "state": "ended",
                    "outcome": "answered",
                    "user_id": self.agent.id,
                    "partner_id": self.ru_partner.id,
                    "caller_name": "Иван Петров",
                    "billsec": 60,
                    "duration": 68,
                }
            ],
        )
        self.assertEqual(len(self.calls().event_ids), 7)
        self.assertEqual(self.read_state()["ws_state"], "disconnected")
        self.assertEqual(self.server.client_closes, 1, "the socket is closed cleanly")

    def test_ivr_answered_call_missed_over_the_socket(self):
        self.server.wait_connections(1)
        self.send_and_wait(*self.asterisk.ivr_missed_call())
        self.stop_listener()
        self.assertRecordValues(
            self.calls(),
            [{"state": "ended", "outcome": "missed", "is_missed": True, "billsec": 0}],
        )

    def test_dropped_connection_mid_call(self):
        """The PBX drops the socket after the answer: the listener
        reconnects, subscribes again, and the call completes once."""
        messages = self.asterisk.answered_call()
        before, after = messages[:8], messages[8:]
        self.server.wait_connections(1)
        self.wait_state("connected")
        self.send_and_wait(*before)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.assertEqual(
                self.ari_calls(env["crm.callcenter.provider"]).state, "answered"
            )
        # The call goes on at the PBX: its channel is up.
        self.server.channels = [json.loads(before[0])["channel"]]
        with self.assertLogs(LISTENER_LOGGER, logging.WARNING) as logs:
            self.server.drop()
            self.server.wait_connections(2)
        self.assertIn("reconnecting", logs.output[0])
        self.server.wait_for(lambda: self.server.channel_requests == 2)
        # Subscribed again: same application, subscribeAll and credentials.
        (path, query, headers), (path2, query2, headers2) = self.server.handshakes
        self.assertEqual((path2, query2), (path, query))
        self.assertEqual(headers2["authorization"], headers["authorization"])
        self.wait_state("connected")
        # A message seen before the cut comes again (a PBX-side replay).
        self.send_and_wait(before[-1], *after)
        self.stop_listener()
        call = self.calls()
        self.assertEqual(len(call), 1)
        self.assertRecordValues(
            call, [{"state": "ended", "outcome": "answered", "billsec": 60}]
        )
        self.assertEqual(len(call.event_ids), 7, "each message stored once")
        self.assertFalse(call.end_inferred, "never closed: the PBX still had it")
        self.assertEqual(self.listener.streams, {})

    def cut_during_calls(self):
        """Two answered calls (101 and 102); the connection drops; the first
        one hangs up while the listener is away, the second goes on."""
        lost = self.asterisk.answered_call()[:8]
        kept = self.asterisk.answered_call(number="79161230000", extension="102")[:8]
        self.server.wait_connections(1)
        self.wait_state("connected")
        self.send_and_wait(*lost, *kept)
        self.server.channels = [json.loads(kept[0])["channel"]]
        with self.assertLogs(LISTENER_LOGGER, logging.WARNING) as logs:
            self.server.drop()
            self.server.wait_connections(2)
            stream = self.stream()
            wait_until(lambda: stream.connect_checks == 2, message="the check")
        return logs

    def test_calls_that_ended_while_disconnected_are_closed_on_reconnect(self):
        """A websocket replays nothing: the end of a call that hung up while
        the listener was away never comes. On reconnecting, the listener
        asks the PBX for its channels: calls it no longer has are closed at
        once, the others stay open."""
        self.cut_during_calls()
        self.assertEqual(self.stream().closed_on_connect, 1)
        self.stop_listener()
        calls = {call.user_id: call for call in self.calls()}
        self.assertRecordValues(
            calls[self.agent],
            [{"state": "ended", "outcome": "answered", "end_inferred": True}],
        )
        self.assertRecordValues(
            calls[self.agent_b], [{"state": "answered", "end_inferred": False}]
        )
        self.assertNotEqual(self.agent.callcenter_presence, "in_call")
        self.assertEqual(self.agent_b.callcenter_presence, "in_call")

    def test_when_the_pbx_cannot_list_its_channels_calls_stay_open(self):
        self.server.channels_status = 500
        logs = self.cut_during_calls()
        self.assertTrue(
            any("calls in progress could not be read" in line for line in logs.output)
        )
        self.stop_listener()
        self.assertEqual(set(self.calls().mapped("state")), {"answered"})

    def test_application_taken_by_another_client(self):
        self.server.wait_connections(1)
        self.wait_state("connected")
        self.server.send(
            json.dumps(
                {
                    "type": "ApplicationReplaced",
                    "application": "odoo",
                    "timestamp": "2026-03-02T12:00:00.000+0300",
                }
            )
        )
        wait_until(
            lambda: "another client" in (self.read_state()["ws_error"] or ""),
            message="the error",
        )
        replaced_at = time.monotonic()
        self.assertEqual(self.read_state()["ws_state"], "error")
        # It comes back after the longest backoff (0.5 s), not at once.
        self.server.wait_connections(2)
        self.assertGreater(time.monotonic() - replaced_at, 0.3)
        self.wait_state("connected")
        self.assertFalse(self.read_state()["ws_error"])

    def test_unreadable_message_is_reported_and_the_stream_goes_on(self):
        self.server.wait_connections(1)
        self.wait_state("connected")
        broken = json.loads(self.asterisk.answered_call()[0])
        del broken["channel"]["channelvars"]
        self.send_and_wait("{oops", json.dumps(broken))
        state = self.read_state()
        self.assertEqual(state["ws_state"], "connected")
        self.assertIn("CHANNEL(linkedid)", state["ws_error"])
        self.send_and_wait(self.asterisk.answered_call()[0])
        self.stop_listener()
        self.assertEqual(self.calls().state, "ringing")

    def test_providers_changed_archived_and_refused(self):
        self.server.wait_connections(1)
        self.wait_state("connected")
        other = AriServer(password="another-secret")
        self.addCleanup(other.close)
        # New settings: the stream moves to the new server.
        self.write_provider(
            {"asterisk_ari_url": other.url, "asterisk_ari_password": "another-secret"}
        )
        other.wait_connections(1)
        self.server.wait_for(lambda: self.server.client_closes == 1)
        self.wait_state("connected")
        # Wrong password: refused, retried with backoff, reported without it.
        with self.assertLogs(LISTENER_LOGGER, logging.WARNING) as logs:
            self.write_provider({"asterisk_ari_password": "wrong-password"})
            other.wait_for(lambda: other.refused >= 2)
        state = self.wait_state("error")
        self.assertEqual(state["ws_error"], "handshake refused: HTTP 401")
        self.assertFalse(any("wrong-password" in line for line in logs.output))
        # Archived: the listener lets it go.
        self.write_provider({"active": False})
        wait_until(lambda: self.ari.id not in self.listener.streams, message="drop")
        # The stream writes its last state as it stops: wait for it.
        wait_until(
            lambda: self.read_state()["ws_state"] == "disconnected",
            message="disconnected state",
        )


class TestCallcenterListenCommand(AriCase):
    """``odoo-bin callcenter_listen`` as a process: connects, stores, and
    stops cleanly on SIGTERM."""

    def committed_env(self):
        return api.Environment(self.registry.cursor(), SUPERUSER_ID, {})

    def test_sigterm(self):
        server = AriServer()
        self.addCleanup(server.close)
        env = self.committed_env()
        with env.cr:
            provider = env["crm.callcenter.provider"].create(
                {
                    "name": f"Listener test {uuid.uuid4().hex[:6]}",
                    "code": "asterisk_ari",
                    "default_country_id": env.ref("base.ru").id,
                    "asterisk_ari_url": server.url,
                    "asterisk_ari_user": ARI_USER,
                    "asterisk_ari_password": ARI_PASSWORD,
                    "asterisk_ari_app": "odoo",
                    "asterisk_ari_trunks": "trunk-*",
                }
            )
        provider_id = provider.id
        self.addCleanup(self._remove_provider, provider_id)

        addons_path = ",".join(config["addons_path"])
        command = [
            sys.executable, "-m", "odoo", f"--addons-path={addons_path}",
            "callcenter_listen", "-c", config["config"], "-d", get_db_name(),
            "--poll-interval", "1", "--log-level", "info",
        ]  # fmt: skip
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ODOO_RC": config["config"]},
        )
        self.addCleanup(self._kill, process)
        server.wait_connections(1, timeout=120)
        message = self.asterisk.answered_call()[0]
        call_id = json.loads(message)["channel"]["id"]
        server.send(message)
        wait_until(
            lambda: self._committed_call_state(provider_id, call_id) == "ringing",
            timeout=30,
            message="the committed call",
        )
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        log = output.decode(errors="replace")
        self.assertEqual(process.returncode, 0, log[-3000:])
        self.assertIn("stopping", log)
        self.assertIn("Call center listener stopped", log)
        self.assertNotIn(ARI_PASSWORD, log)
        self.assertEqual(server.client_closes, 1, "close frame sent before exit")
        with self.committed_env().cr as cr:
            cr.execute(
                "SELECT ws_state, ws_last_event_at FROM crm_callcenter_provider"
                " WHERE id = %s",
                [provider_id],
            )
            ws_state, last_event = cr.fetchone()
        self.assertEqual(ws_state, "disconnected")
        self.assertTrue(last_event)

    def _committed_call_state(self, provider_id, call_id):
        with self.committed_env().cr as cr:
            cr.execute(
                "SELECT state FROM crm_callcenter_call"
                " WHERE provider_id = %s AND external_call_id = %s",
                [provider_id, call_id],
            )
            row = cr.fetchone()
        return row and row[0]

    def _remove_provider(self, provider_id):
        with self.committed_env().cr as cr:
            for table in (
                "crm_callcenter_callback",
                "crm_callcenter_call",
                "crm_callcenter_event",
            ):
                cr.execute(
                    SQL(
                        "DELETE FROM %s WHERE provider_id = %s",
                        SQL.identifier(table),
                        provider_id,
                    )
                )
            cr.execute(
                SQL("DELETE FROM crm_callcenter_provider WHERE id = %s", provider_id)
            )

    @staticmethod
    def _kill(process):
        if process.poll() is None:
            process.kill()
            process.wait(10)
