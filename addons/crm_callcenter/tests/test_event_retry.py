import socket
import time
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.service import server as odoo_server
from odoo.service.server import PreforkServer, ThreadedServer
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..models import crm_callcenter_event as event_module
from ..models.crm_callcenter_call import CrmCallcenterCall
from .common import CallcenterCase


def _broken_matching(self):
    raise ValueError("lead matching is misconfigured")


@tagged("post_install", "-at_install")
class TestEventRetry(CallcenterCase):
    def test_failed_event_is_kept_and_retried_by_the_cron(self):
        with patch.object(CrmCallcenterCall, "_match_counterpart", _broken_matching):
            ((event, _dup),) = self.feed(
                [self.center.event("call.ringing", "retry-1", agent="101")]
            )
        self.assertEqual(event.state, "error")
        self.assertIn("lead matching is misconfigured", event.error)
        self.assertEqual(event.attempts, 1)
        self.assertTrue(event.next_retry_at)
        # Nothing of the failed processing is half-written.
        self.assertFalse(self.get_call("retry-1"))
        self.assertFalse(event.call_id)

        cron = self.env.ref("crm_callcenter.ir_cron_crm_callcenter_event_retry")
        self.assertTrue(
            self.env["ir.cron.trigger"].search(
                [("cron_id", "=", cron.id), ("call_at", "=", event.next_retry_at)]
            ),
            "the retry cron is triggered for the backoff time",
        )

        # Before the backoff delay, the cron leaves it alone.
        with patch.object(self.env.cr, "commit"):
            self.env["crm.callcenter.event"]._cron_retry_failed()
        self.assertEqual(event.state, "error")

        # The cause is fixed (no patch any more) and the delay has passed.
        later = event.next_retry_at + timedelta(seconds=1)
        with freeze_time(later), patch.object(self.env.cr, "commit"):
            self.env["crm.callcenter.event"]._cron_retry_failed()
        self.assertEqual(event.state, "done")
        self.assertFalse(event.error)
        self.assertCallLogged("retry-1", user_id=self.agent, partner_id=self.partner)
        self.assertEqual(event.call_id, self.get_call("retry-1"))

    def test_backoff_grows_then_stops(self):
        with patch.object(CrmCallcenterCall, "_match_counterpart", _broken_matching):
            ((event, _dup),) = self.feed([self.center.event("call.ringing", "retry-2")])
            delays = []
            while event.next_retry_at:
                run_at = event.next_retry_at + timedelta(seconds=1)
                with freeze_time(run_at), patch.object(self.env.cr, "commit"):
                    self.env["crm.callcenter.event"]._cron_retry_failed()
                if event.next_retry_at:
                    delays.append(
                        int((event.next_retry_at - run_at).total_seconds() // 60)
                    )
        self.assertEqual(delays, [4, 8, 16, 32, 64, 128])
        self.assertEqual(event.state, "error")
        self.assertEqual(event.attempts, 8, "retries stop after the eighth attempt")

    def test_manager_reprocesses_from_the_ui(self):
        with patch.object(CrmCallcenterCall, "_match_counterpart", _broken_matching):
            ((event, _dup),) = self.feed([self.center.event("call.ringing", "retry-3")])
        self.assertEqual(event.state, "error")
        event.with_user(self.manager).action_reprocess()
        self.assertEqual(event.state, "done")
        self.assertTrue(self.get_call("retry-3"))


class TestEventQueue(CallcenterCase):
    """Queued processing: the webhook stores, the queue cron folds."""

    def test_queued_events_wait_for_the_queue_then_fold(self):
        self.provider.event_processing = "queued"
        cron = self.env.ref("crm_callcenter.ir_cron_crm_callcenter_event_queue")
        triggers_before = self.env["ir.cron.trigger"].search_count(
            [("cron_id", "=", cron.id)]
        )
        results = self.feed(self.center.answered_call("q-1", agent="101"))
        events = self.env["crm.callcenter.event"].browse([r[0].id for r in results])
        self.assertEqual(set(events.mapped("state")), {"new"})
        self.assertFalse(self.get_call("q-1"), "nothing folded in the request")
        # One wake-up per transaction, not one per event.
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers_before + 1,
        )

        with patch.object(self.env.cr, "commit"):
            self.env["crm.callcenter.event"]._cron_process_queue()

        events.invalidate_recordset()
        self.assertEqual(set(events.mapped("state")), {"done"})
        call = self.assertCallLogged(
            "q-1", state="ended", outcome="answered", user_id=self.agent
        )
        self.assertEqual(call.partner_id, self.partner)
        self.assertEqual(events.call_id, call)

    def test_a_busy_intake_wakes_the_queue_once_in_a_while(self):
        """A process that woke the queue cron moments ago does not wake it
        again: the run it started is still looking for events."""
        self.provider.event_processing = "queued"
        cron = self.env.ref("crm_callcenter.ir_cron_crm_callcenter_event_queue")
        Trigger = self.env["ir.cron.trigger"]
        dbname = self.env.cr.dbname
        once_key = (
            "crm_callcenter.triggered.crm_callcenter.ir_cron_crm_callcenter_event_queue"
        )

        def receive(call_id):
            # Each request is its own transaction.
            self.env.cr.precommit.data.pop(once_key, None)
            before = Trigger.search_count([("cron_id", "=", cron.id)])
            self.feed([self.center.event("call.ringing", call_id)])
            return Trigger.search_count([("cron_id", "=", cron.id)]) - before

        woken = {}
        with patch.object(event_module, "_queue_woken_at", woken):
            self.assertEqual(receive("wake-1"), 1, "nobody woke the queue yet")
            self.assertTrue(
                self.env.cr.postcommit.data.get("crm_callcenter.queue_woken"),
                "the wake-up counts once committed",
            )
            woken[dbname] = time.monotonic()  # what the commit does
            self.assertEqual(receive("wake-2"), 0, "the cron run is on its way")
            woken[dbname] = time.monotonic() - event_module.QUEUE_WAKE_SECONDS - 0.01
            self.assertEqual(receive("wake-3"), 1)
            # A cron run out of time wakes the next one whatever.
            woken[dbname] = time.monotonic()
            self.env.cr.precommit.data.pop(once_key, None)
            before = Trigger.search_count([("cron_id", "=", cron.id)])
            self.env["crm.callcenter.event"]._trigger_queue(force=True)
            self.assertEqual(
                Trigger.search_count([("cron_id", "=", cron.id)]), before + 1
            )
        with patch.object(self.env.cr, "commit"):
            self.env["crm.callcenter.event"]._cron_process_queue()
        for call_id in ("wake-1", "wake-2", "wake-3"):
            self.assertCallLogged(call_id, state="ringing")

    def test_a_duplicate_of_a_queued_event_is_not_queued_twice(self):
        self.provider.event_processing = "queued"
        ringing = self.center.event("call.ringing", "q-2", agent="101")
        self.feed([ringing, ringing])
        Event = self.env["crm.callcenter.event"]
        self.assertEqual(Event.search_count([("external_call_id", "=", "q-2")]), 1)
        with patch.object(self.env.cr, "commit"):
            Event._cron_process_queue()
        self.assertCallLogged("q-2", state="ringing", user_id=self.agent)


@tagged("post_install", "-at_install")
class TestEventRetention(CallcenterCase):
    """The event log keeps raw requests for a while, never unprocessed ones."""

    def age(self, events, days):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_callcenter_event SET received_at = received_at - %s"
            " WHERE id = ANY(%s)",
            (timedelta(days=days), events.ids),
        )
        events.invalidate_recordset(["received_at"])

    def events_of(self, call_id, provider=None):
        return self.env["crm.callcenter.event"].search(
            [
                ("provider_id", "=", (provider or self.provider).id),
                ("external_call_id", "=", call_id),
            ]
        )

    def test_processed_events_go_after_the_retention_failed_ones_stay(self):
        self.provider.event_retention_days = 30
        old_requests = self.center.answered_call("keep-old")
        self.feed(old_requests)
        self.feed(self.center.answered_call("keep-recent"))
        with patch.object(CrmCallcenterCall, "_match_counterpart", _broken_matching):
            self.feed([self.center.event("call.ringing", "keep-failed", agent="101")])
        old, recent, failed = (
            self.events_of(name) for name in ("keep-old", "keep-recent", "keep-failed")
        )
        self.assertEqual(len(old), 3)
        self.assertEqual(set(old.mapped("state")), {"done"})
        self.assertEqual(failed.state, "error")
        self.age(old | failed, 31)
        self.age(recent, 29)
        # Another provider keeps everything.
        keeper = self.provider.copy({"name": "Keeps all", "event_retention_days": 0})
        self.feed(self.center.answered_call("keep-forever"), provider=keeper)
        forever = self.events_of("keep-forever", keeper)
        self.age(forever, 400)

        Event = self.env["crm.callcenter.event"]
        deleted, remaining = Event._gc_processed_events()
        self.assertEqual((deleted, remaining), (3, False))
        self.assertFalse(old.exists())
        self.assertEqual(recent.exists(), recent)
        self.assertEqual(failed.exists(), failed)
        self.assertEqual(forever.exists(), forever)
        # The call keeps what its events said.
        call = self.assertCallLogged("keep-old", state="ended", outcome="answered")
        before = call.read(["state", "outcome", "billsec", "ended_at", "user_id"])
        notified = len(self.bus_payloads(self.agent))
        # A provider that delivers them again after that: stored again,
        # folded, and nothing changes.
        self.feed(old_requests)
        self.assertEqual(set(self.events_of("keep-old").mapped("state")), {"done"})
        call.invalidate_recordset()
        self.assertEqual(
            call.read(["state", "outcome", "billsec", "ended_at", "user_id"]), before
        )
        self.assertEqual(len(self.bus_payloads(self.agent)), notified)

    def test_a_large_backlog_is_deleted_in_steps(self):
        self.provider.event_retention_days = 1
        for index in range(3):
            self.feed(self.center.answered_call(f"backlog-{index}"))
        events = self.env["crm.callcenter.event"].search(
            [("provider_id", "=", self.provider.id)]
        )
        self.assertEqual(len(events), 9)
        self.age(events, 2)
        Event = self.env["crm.callcenter.event"]
        with patch.object(event_module, "PURGE_BATCH", 4):
            # The autovacuum calls again while some are left.
            self.assertEqual(Event._gc_processed_events(), (4, True))
            self.assertEqual(Event._gc_processed_events(), (4, True))
            self.assertEqual(Event._gc_processed_events(), (1, False))
        self.assertFalse(events.exists())

    def test_retention_cannot_be_negative(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.provider.event_retention_days = -1
            self.env.flush_all()


class TestAutoProcessing(CallcenterCase):
    """Automatic processing, the default: events folded in the request,
    queued while requests wait for a web worker."""

    def setUp(self):
        super().setUp()
        self.busy = False
        self.now = 1000.0
        self.startPatcher(
            patch.object(event_module, "_web_workers_busy", lambda: self.busy)
        )
        self.startPatcher(patch.object(event_module, "_clock", lambda: self.now))
        self.startPatcher(patch.dict(event_module._workers_busy_at, clear=True))
        self.startPatcher(
            patch.object(event_module, "_queue_workers_run", lambda: True)
        )
        self.startPatcher(patch.dict(event_module._queue_drained_at, clear=True))
        self.assertEqual(self.provider.event_processing, "auto")

    def ringing(self, count, prefix):
        self.sent = [
            self.center.event("call.ringing", f"{prefix}-{n}") for n in range(count)
        ]
        results = self.feed(self.sent)
        return self.env["crm.callcenter.event"].browse([r[0].id for r in results])

    def fold_queue(self):
        with patch.object(self.env.cr, "commit"):
            self.env["crm.callcenter.event"]._cron_process_queue()

    def test_a_new_provider_processes_automatically(self):
        provider = self.env["crm.callcenter.provider"].create(
            {"name": "Another center", "code": "generic"}
        )
        self.assertEqual(provider.event_processing, "auto")

    def test_events_are_folded_in_the_request_while_workers_keep_up(self):
        events = self.feed(self.center.answered_call("auto-1", agent="101"))
        self.assertEqual({event.state for event, _dup in events}, {"done"})
        self.assertCallLogged(
            "auto-1", state="ended", outcome="answered", user_id=self.agent
        )

    def test_a_backlog_is_queued_then_folded(self):
        self.busy = True
        queued = self.ringing(3, "burst")
        redelivery = self.sent[1]
        self.assertEqual(set(queued.mapped("state")), {"new"})
        self.assertFalse(self.get_call("burst-0"), "answered before folding")
        # Nobody waits now, but the burst may come in waves: still queued
        # for AUTO_HOLD_SECONDS.
        self.busy = False
        self.now += event_module.AUTO_HOLD_SECONDS / 2
        (held,) = self.ringing(1, "held")
        self.assertEqual(held.state, "new")
        self.now += event_module.AUTO_HOLD_SECONDS
        (inline,) = self.ringing(1, "after")
        self.assertEqual(inline.state, "done")
        queued |= held

        self.fold_queue()
        queued.invalidate_recordset()
        self.assertEqual(set(queued.mapped("state")), {"done"})
        for call_id in ("burst-0", "burst-1", "burst-2", "held-0"):
            self.assertCallLogged(call_id, state="ringing")
        # A redelivery of a queued event is still a duplicate.
        ((again, duplicate),) = self.feed([redelivery])
        self.assertTrue(duplicate)
        self.assertEqual(again, queued[1])

    def test_the_events_of_one_call_split_by_a_backlog_fold_alike(self):
        """Ringing queued, answer and end folded in the request: the call
        ends as if all had been folded in order."""
        ringing, answered, ended = self.center.answered_call("split-1", agent="101")
        self.busy = True
        ((queued, _dup),) = self.feed([ringing])
        self.assertEqual(queued.state, "new")
        self.busy = False
        self.now += event_module.AUTO_HOLD_SECONDS
        self.feed([answered, ended])
        self.fold_queue()
        queued.invalidate_recordset()
        self.assertEqual(queued.state, "done")
        call = self.assertCallLogged(
            "split-1", state="ended", outcome="answered", user_id=self.agent
        )
        self.assertEqual(call.partner_id, self.partner)
        self.assertEqual(len(call.event_ids), 3)

    def test_a_queue_nobody_folds_is_not_used(self):
        """An event waiting for more than AUTO_STALL_SECONDS: no cron worker
        folds the queue, so automatic processing folds in the request."""
        self.busy = True
        (stalled,) = self.ringing(1, "stalled")
        self.assertEqual(stalled.state, "new")
        self.env.cr.execute(
            "UPDATE crm_callcenter_event SET received_at = received_at - interval"
            " '2 minutes' WHERE id = %s",
            [stalled.id],
        )
        event_module._queue_drained_at.clear()  # the check is due
        with self.assertLogs(event_module.__name__, "WARNING") as logs:
            beyond = self.ringing(2, "beyond")
        self.assertEqual(set(beyond.mapped("state")), {"done"})
        self.assertIn("is a cron worker running", logs.output[0])
        self.assertEqual(len(logs.output), 1, "checked once, not per request")

        # The queue moves again: once the check is due, a backlog queues again.
        self.fold_queue()
        event_module._queue_drained_at.clear()
        (again,) = self.ringing(1, "again")
        self.assertEqual(again.state, "new")


class TestWebWorkersBusy(TransactionCase):
    """The signal of automatic processing, on a real listening socket."""

    def test_a_connection_waiting_for_a_worker(self):
        listener = socket.socket()
        self.addCleanup(listener.close)
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        prefork = PreforkServer(None)
        prefork.socket = listener
        with patch.object(odoo_server, "server", prefork):
            self.assertFalse(event_module._web_workers_busy(), "nobody waits")
            client = socket.create_connection(listener.getsockname(), timeout=5)
            self.addCleanup(client.close)
            self.assertTrue(event_module._web_workers_busy(), "a connection waits")
            accepted, _addr = listener.accept()  # a worker takes it
            accepted.close()
            self.assertFalse(event_module._web_workers_busy())
        threaded = ThreadedServer(None)
        with patch.object(odoo_server, "server", threaded):
            socket.create_connection(listener.getsockname(), timeout=5).close()
            self.assertFalse(
                event_module._web_workers_busy(),
                "the threaded server accepts every connection: never busy",
            )
