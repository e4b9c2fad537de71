import logging
import select
import time
from datetime import timedelta

from psycopg2 import errors as pg_errors

from odoo import api, fields, models, modules
from odoo.exceptions import UserError
from odoo.service import server as odoo_server
from odoo.tools import SQL

from ..tools.providers import PayloadError
from ..tools.storable import without_nul

_logger = logging.getLogger(__name__)

# Errors that mean "another transaction got there first": they must reach
# Odoo's request/cron retry loop instead of being recorded as a failure.
CONCURRENCY_ERRORS = (
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    pg_errors.DeadlockDetected,
)
MAX_ATTEMPTS = 8
RETRY_BASE_MINUTES = 2
RETRY_MAX_MINUTES = 6 * 60
CRON_BATCH = 200
# Processed events deleted per autovacuum step (one transaction each).
PURGE_BATCH = 10000
# Queued events folded per transaction, at most.
QUEUE_BATCH = 10
# A queue cron run that found the queue empty keeps looking for this long
# (every QUEUE_POLL_SECONDS) before it ends: the next event of a busy center
# is folded at once instead of paying for a new cron run (tens to hundreds of
# milliseconds of screen pop).
QUEUE_LINGER_SECONDS = 1.0
QUEUE_POLL_SECONDS = 0.02
# A process that woke the queue cron this recently does not wake it again:
# whatever run that wake-up started (or the next one: a wake-up committed
# during a run starts another) is still looking for events, since a run
# keeps looking QUEUE_LINGER_SECONDS after its last one. Under load this
# spares a trigger row and a NOTIFY per request, and the idle cron worker a
# look for ready jobs at each NOTIFY.
QUEUE_WAKE_SECONDS = QUEUE_LINGER_SECONDS / 2
QUEUE_XMLID = "crm_callcenter.ir_cron_crm_callcenter_event_queue"
# Per database: monotonic time of this process's last committed wake-up.
_queue_woken_at = {}
# Automatic processing folds each event in the webhook request, unless
# requests are waiting for a web worker (see _web_workers_busy): then the
# event is queued, answered at once, and a cron worker folds it. A center's
# usual traffic is folded in the request, its screen pop first; a burst (a
# dialer's campaign start, a provider resending its backlog) is answered as
# fast as queued processing answers, instead of the workers folding while
# the provider's requests pile up.
# A process that saw requests waiting keeps queueing for this long: a burst
# comes in waves, and a fold in the request between two waves holds up the
# next one.
AUTO_HOLD_SECONDS = 1.0
# The queue counts as drained unless its oldest event has waited this long:
# then no cron worker folds it (max_cron_threads = 0 everywhere, crons
# stuck), and automatic processing folds in the request again.
AUTO_STALL_SECONDS = 60
# How often a process checks that, at most (per database).
AUTO_STALL_CHECK_SECONDS = 10
# Per database: (monotonic time of the check, queue drained).
_queue_drained_at = {}
# "seen": monotonic time this process last saw requests waiting.
_workers_busy_at = {}
_clock = time.monotonic


def _web_workers_busy():
    """Whether a request waits for a web worker: with ``--workers``, a
    connection is waiting on the listening socket, so every worker is busy
    (each serves one connection at a time). The threaded server (no
    ``--workers``) accepts every connection at once: never."""
    server = odoo_server.server
    sock = getattr(server, "socket", None)
    if not isinstance(server, odoo_server.PreforkServer) or sock is None:
        return False
    try:
        readable, _w, _x = select.select([sock], [], [], 0)
    except (OSError, ValueError):  # closed, or no file descriptor any more
        return False
    return bool(readable)


def _intake_busy():
    """Whether this request comes in a burst: requests wait for a web worker
    now, or did less than AUTO_HOLD_SECONDS ago."""
    now = _clock()
    if _web_workers_busy():
        _workers_busy_at["seen"] = now
        return True
    seen = _workers_busy_at.get("seen")
    return seen is not None and now - seen < AUTO_HOLD_SECONDS


def _queue_workers_run():
    """Whether cron workers may fold the queue: not while tests run (the
    test cursor is the only one; nothing else folds what it queues)."""
    return not modules.module.current_test


class _Redelivered(Exception):
    """The event's key was stored already: undo what its fold did."""


class CrmCallcenterEvent(models.Model):
    """The inbox: every accepted provider request, stored raw before use."""

    _name = "crm.callcenter.event"
    _description = "Call Center Event"
    _order = "received_at desc, id desc"
    _rec_name = "dedup_key"

    provider_id = fields.Many2one(
        "crm.callcenter.provider", required=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    dedup_key = fields.Char(required=True, readonly=True)
    received_at = fields.Datetime(required=True, readonly=True, index=True)
    payload = fields.Text(
        readonly=True,
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="The request body as received.",
    )
    event_type = fields.Char(readonly=True)
    external_call_id = fields.Char("Call ID", readonly=True)
    event_time = fields.Datetime(readonly=True)
    state = fields.Selection(
        [
            ("new", "New"),
            ("done", "Done"),
            ("error", "Error"),
            ("ignored", "Ignored"),
        ],
        required=True,
        default="new",
        readonly=True,
    )
    error = fields.Text(readonly=True)
    attempts = fields.Integer(readonly=True)
    next_retry_at = fields.Datetime(readonly=True)
    call_id = fields.Many2one(
        "crm.callcenter.call",
        ondelete="set null",
        readonly=True,
        index="btree_not_null",
    )

    _dedup_key_unique = models.Constraint(
        "UNIQUE(provider_id, dedup_key)",
        "This event was already received from this provider.",
    )
    _retry_idx = models.Index("(next_retry_at) WHERE state = 'error'")
    _queue_idx = models.Index("(id) WHERE state = 'new'")
    # The provider's health figures and event log: its latest events, and
    # its failed ones, without reading all of them.
    _provider_received_idx = models.Index("(provider_id, received_at)")
    _provider_error_idx = models.Index("(provider_id) WHERE state = 'error'")

    # ------------------------------------------------------------------
    # Intake
    # ------------------------------------------------------------------

    @api.model
    def _receive(self, provider, dedup_key, payload, events):
        """Store one accepted request and fold it into its call.

        Returns ``(event, duplicate)``. A redelivery of a known dedup key
        returns the stored event and changes nothing. Inline, the fold runs
        first and the event is stored with its result in the same savepoint
        (one statement less than storing it, then marking it done): when the
        key is known already, the savepoint undoes the fold; when the fold
        fails, the event is stored in ``error`` for the retry cron. Queued,
        the event is stored ``new`` and a cron worker folds it.
        """
        first = events[0] if events else None
        now = fields.Datetime.now()
        # What PostgreSQL cannot store in text, as the events have it.
        dedup_key, payload = without_nul(dedup_key), without_nul(payload)

        def store(state, call_id=None):
            # INSERT .. ON CONFLICT: a redelivery of a stored message inserts
            # nothing; a concurrent delivery of the same message waits for
            # the first one's commit (or surfaces as a serialization failure,
            # which Odoo's request loop retries).
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO crm_callcenter_event
                        (provider_id, company_id, dedup_key, received_at, payload,
                         event_type, external_call_id, event_time, state, attempts,
                         call_id, create_uid, write_uid, create_date, write_date)
                    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s,
                            %s)
                    ON CONFLICT (provider_id, dedup_key) DO NOTHING
                    RETURNING id
                    """,
                    provider.id,
                    provider.company_id.id,
                    dedup_key,
                    now,
                    payload,
                    first and first.event,
                    first and first.external_call_id,
                    first and first.event_time,
                    state,
                    call_id,
                    self.env.uid,
                    self.env.uid,
                    now,
                    now,
                )
            )
            row = self.env.cr.fetchone()
            return self.sudo().browse(row[0]) if row else None

        def stored():
            return self.sudo().search(
                [("provider_id", "=", provider.id), ("dedup_key", "=", dedup_key)],
                limit=1,
            ), True

        processing = provider.event_processing
        if processing == "queued" or (processing == "auto" and self._auto_queues()):
            event = store("new")
            if not event:
                return stored()
            # Answer the provider at once; a cron worker folds the event
            # right after this transaction commits (woken by NOTIFY).
            self._trigger_queue()
            return event, False
        try:
            with self.env.cr.savepoint():
                call = self._fold(provider, events, now)
                event = store("done" if call else "ignored", call.id or None)
                if not event:
                    raise _Redelivered
        except _Redelivered:
            return stored()
        except CONCURRENCY_ERRORS:
            raise
        except Exception as exc:
            event = store("new")
            if not event:
                return stored()
            _logger.exception(
                "Call center event %s (provider %s) failed", event.id, provider.id
            )
            event._mark_failed(exc, retry=True)
        return event, False

    @api.model
    def _auto_queues(self):
        """Automatic processing: whether this request's events go to the
        queue. Yes in a burst (requests wait for a web worker, or did a moment
        ago) while the queue is being drained; never while tests run (no cron
        worker folds the queue then)."""
        return _queue_workers_run() and _intake_busy() and self._queue_drained()

    @api.model
    def _queue_drained(self):
        """Whether cron workers fold the queue: no event has waited in it
        longer than AUTO_STALL_SECONDS. Checked at most every
        AUTO_STALL_CHECK_SECONDS per database and process (one index probe)."""
        dbname = self.env.cr.dbname
        now = time.monotonic()
        checked = _queue_drained_at.get(dbname)
        if checked and now - checked[0] < AUTO_STALL_CHECK_SECONDS:
            return checked[1]
        self.env.cr.execute(
            SQL(
                "SELECT received_at FROM crm_callcenter_event WHERE state = 'new'"
                " ORDER BY id LIMIT 1"
            )
        )
        row = self.env.cr.fetchone()
        drained = not row or row[0] > fields.Datetime.now() - timedelta(
            seconds=AUTO_STALL_SECONDS
        )
        if not drained:
            _logger.warning(
                "Call center event queue of %s: an event has waited since %s; "
                "is a cron worker running (max_cron_threads)? Automatic "
                "processing folds events in the webhook request meanwhile.",
                dbname,
                row[0],
            )
        _queue_drained_at[dbname] = (now, drained)
        return drained

    @api.model
    def _fold(self, provider, events, received_at):
        """Fold parsed CallEvents into their call; the (last) call."""
        Call = self.env["crm.callcenter.call"].sudo()
        call = Call.browse()
        for call_event in events:
            call = Call._apply_event(provider, call_event, received_at)
        return call

    def _process(self):
        """Fold stored events (queue, retry, reprocess) into their call, each
        in a savepoint: a failure stays with its event."""
        for event in self:
            try:
                with self.env.cr.savepoint():
                    adapter = event.provider_id._get_adapter()
                    parsed = adapter.parse(event.payload.encode())
                    call = self._fold(event.provider_id, parsed, event.received_at)
                    event._mark_processed(call)
            except CONCURRENCY_ERRORS:
                raise
            except PayloadError as exc:
                # The stored body will never parse: retrying cannot help.
                event._mark_failed(exc, retry=False)
            except Exception as exc:
                _logger.exception(
                    "Call center event %s (provider %s) failed",
                    event.id,
                    event.provider_id.id,
                )
                event._mark_failed(exc, retry=True)

    @api.model
    def _trigger_queue(self, force=False):
        """Wake the queue cron once this transaction commits (once per
        transaction), unless this process did less than QUEUE_WAKE_SECONDS
        ago (``force``: whatever the last wake-up)."""
        dbname = self.env.cr.dbname
        last = _queue_woken_at.get(dbname)
        if (
            not force
            and last is not None
            and time.monotonic() - last < QUEUE_WAKE_SECONDS
        ):
            return
        self._trigger_cron(QUEUE_XMLID, once=True)
        key = "crm_callcenter.queue_woken"
        if not self.env.cr.postcommit.data.get(key):
            self.env.cr.postcommit.data[key] = True

            # Only a committed wake-up counts: a rolled back one woke nobody.
            @self.env.cr.postcommit.add
            def woken():
                _queue_woken_at[dbname] = time.monotonic()

    @api.model
    def _trigger_cron(self, xmlid, at=None, once=False):
        """``ir.cron._trigger`` in one SQL insert, for the event intake: the
        ORM path reads the cron and costs more than the rest of a queued
        webhook request. ``at`` (naive UTC) defaults to now; ``once``: at
        most one trigger of this cron per transaction."""
        cr = self.env.cr
        if once:
            key = f"crm_callcenter.triggered.{xmlid}"
            if cr.precommit.data.get(key):
                return
            cr.precommit.data[key] = True
        # The cached xmlid lookup: env.ref() would query the cron's existence.
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(xmlid)
        cr.execute(
            SQL(
                "INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid,"
                " write_uid, create_date, write_date)"
                " VALUES (%s, COALESCE(%s, now() at time zone 'UTC'), %s, %s,"
                " now() at time zone 'UTC', now() at time zone 'UTC')",
                cron_id,
                at,
                self.env.uid,
                self.env.uid,
            )
        )
        if not at or at <= fields.Datetime.now():
            cr.postcommit.add(self.env["ir.cron"]._notifydb)

    @api.model
    def _cron_process_queue(self):
        """Fold queued events, oldest first, a few per transaction.

        What is waiting is taken, up to QUEUE_BATCH events: one event when
        the queue is quiet (its screen pop leaves at once), batches under
        load, where a commit per event cost more than the folding. Events
        are taken with SKIP LOCKED and stay locked until their commit:
        several cron workers (or a manual run) never fold one twice. Each is
        folded in its own savepoint (a failure stays with its event). When
        the queue is empty, a cron run keeps looking for QUEUE_LINGER_SECONDS
        before it ends (a run costs more than the fold of an event). Triggers
        added while it runs make Odoo start it again: nothing waits. A batch
        that loses to a concurrent transaction is folded again.
        """
        self.env["ir.cron"]._callcenter_retrying(self._fold_queue)

    @api.model
    def _fold_queue(self):
        cr = self.env.cr
        IrCron = self.env["ir.cron"]
        # Only a real cron run lingers (a direct call returns when done).
        end = self.env.context.get("cron_end_time") or 0.0
        idle_until = None
        while True:
            cr.execute(
                SQL(
                    "SELECT id FROM crm_callcenter_event WHERE state = 'new'"
                    " ORDER BY id LIMIT %s FOR NO KEY UPDATE SKIP LOCKED",
                    QUEUE_BATCH,
                )
            )
            ids = [row[0] for row in cr.fetchall()]
            if not ids:
                now = time.monotonic()
                if idle_until is None:
                    idle_until = min(now + QUEUE_LINGER_SECONDS, end)
                if now >= idle_until:
                    if end and idle_until == end:
                        # Out of time before the whole linger: wake-ups the
                        # intake skipped meanwhile counted on this run (the
                        # cron commits when the job returns).
                        self._trigger_queue(force=True)
                    return
                # A new transaction sees the events committed meanwhile
                # (this one wrote nothing since the last commit).
                cr.rollback()
                time.sleep(QUEUE_POLL_SECONDS)
                continue
            idle_until = None
            self.sudo().browse(ids)._process()
            if not IrCron._commit_progress(len(ids)):
                # Out of time (other crons get their turn): wake a cron
                # worker again as soon as this commits. Odoo's own "partially
                # done" rescheduling notifies nobody, so the rest of a burst
                # would wait for the workers' next poll (up to a minute).
                self._trigger_queue(force=True)
                IrCron._commit_progress(remaining=1)
                return

    @api.autovacuum
    def _gc_processed_events(self):
        """Delete the processed events older than their provider's retention
        (``event_retention_days``, 0: never), PURGE_BATCH at a time: the
        autovacuum commits after each call and calls again while some are
        left, so a first run over years of events holds no long lock.
        Failed and waiting events stay. Returns ``(deleted, remaining)``.

        The batch is a materialized CTE: as ``DELETE .. WHERE id IN (SELECT
        .. LIMIT .. SKIP LOCKED)`` PostgreSQL may run the subquery more than
        once (a rescan), each time skipping the rows it locked before, and
        delete more than a batch."""
        self.env.cr.execute(
            SQL(
                """
                WITH batch AS MATERIALIZED (
                    SELECT e.id
                      FROM crm_callcenter_provider p
                      JOIN crm_callcenter_event e ON e.provider_id = p.id
                     WHERE p.event_retention_days > 0
                       AND e.received_at < (now() AT TIME ZONE 'UTC')
                           - make_interval(days => p.event_retention_days)
                       AND e.state IN ('done', 'ignored')
                     LIMIT %s
                     FOR UPDATE OF e SKIP LOCKED
                )
                DELETE FROM crm_callcenter_event e USING batch WHERE e.id = batch.id
                """,
                PURGE_BATCH,
            )
        )
        deleted = self.env.cr.rowcount
        self.invalidate_model()
        if deleted:
            _logger.info("Deleted %s processed call center events", deleted)
        return deleted, deleted == PURGE_BATCH

    def _mark_processed(self, call):
        """Done (folded into ``call``) or ignored (no call event in it).

        In SQL: the ORM write of these four columns costs a tenth of a
        webhook request. The call's row exists already (created in SQL).
        """
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_callcenter_event SET state = %s, call_id = %s,"
                " error = NULL, next_retry_at = NULL, write_uid = %s,"
                " write_date = now() at time zone 'UTC' WHERE id = %s",
                "done" if call else "ignored",
                call.id or None,
                self.env.uid,
                self.id,
            )
        )
        self.invalidate_recordset(
            ["state", "call_id", "error", "next_retry_at", "write_uid", "write_date"]
        )

    def _mark_failed(self, exc, retry):
        self.ensure_one()
        attempts = self.attempts + 1
        next_retry_at = False
        if retry and attempts < MAX_ATTEMPTS:
            delay = min(RETRY_BASE_MINUTES * 2 ** (attempts - 1), RETRY_MAX_MINUTES)
            next_retry_at = fields.Datetime.now() + timedelta(minutes=delay)
        self.write(
            {
                "state": "error",
                "error": without_nul(str(exc)) or exc.__class__.__name__,
                "attempts": attempts,
                "next_retry_at": next_retry_at,
            }
        )
        if next_retry_at:
            self.env.ref("crm_callcenter.ir_cron_crm_callcenter_event_retry")._trigger(
                next_retry_at
            )

    # ------------------------------------------------------------------
    # Retry and reprocessing
    # ------------------------------------------------------------------

    def action_reprocess(self):
        """Process the selected failed, pending or ignored events again and
        tell the manager how it went."""
        events = self.filtered(lambda e: e.state in ("error", "new", "ignored"))
        if not events:
            raise UserError(
                self.env._("Only failed or pending events can be reprocessed.")
            )
        events.sudo()._process()
        failed = events.filtered(lambda e: e.state == "error")
        if failed:
            message = self.env._(
                "Processed: %(done)s of %(total)s. Still failing: %(failed)s "
                "(%(error)s)",
                done=len(events) - len(failed),
                total=len(events),
                failed=len(failed),
                error=failed[0].error,
            )
        else:
            message = self.env._("Processed: %(total)s.", total=len(events))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Reprocess"),
                "message": message,
                "type": "warning" if failed else "success",
                "sticky": bool(failed),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_retry_failed(self):
        """Retry failed events whose backoff delay has passed."""
        self.env["ir.cron"]._callcenter_retrying(self._retry_due_failures)

    @api.model
    def _retry_due_failures(self):
        domain = [
            ("state", "=", "error"),
            ("next_retry_at", "!=", False),
            ("next_retry_at", "<=", fields.Datetime.now()),
        ]
        while True:
            events = self.sudo().search(
                domain, order="next_retry_at, id", limit=CRON_BATCH
            )
            if not events:
                break
            events._process()
            remaining = self.env["ir.cron"]._commit_progress(len(events))
            if not remaining:
                break
