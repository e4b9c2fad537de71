"""``odoo-bin callcenter_listen -d DATABASE``: the websocket listener.

Some providers push their call events over a websocket instead of webhooks
(Asterisk ARI, Kazoo Blackhole): their adapters say ``websocket = True``.
This command holds one connection per active provider of that kind and feeds
every message into the same inbox as the webhooks
(``crm.callcenter.event._receive``), one transaction per message.

* A message it received is never dropped: a message whose folding fails
  stays in the inbox in error for the retry cron; a transaction that loses a
  race with another one (serialization failure, deadlock) is run again.
* A lost connection is opened again after a capped exponential backoff with
  jitter; the adapter's subscription messages are sent on each connection.
* After each connection, the center is asked which calls are in progress
  (``ws_live_call_ids``): open calls that ended while the stream was down
  are closed at once (a websocket replays nothing).
* Providers added, archived or changed are noticed by polling the database.
* Each provider's ``ws_state``, ``ws_state_at``, ``ws_error`` and
  ``ws_last_event_at`` say how its stream is doing, written from the
  listener's own transactions. Logs never show secrets (URL queries and
  header values are masked).
* SIGTERM and SIGINT close the sockets and stop once the message being
  stored, if any, is committed.

Odoo 19 finds this command in ``<addon>/cli/callcenter_listen.py`` of the
addons path known before the command name: pass ``--addons-path=...`` first
or set ``ODOO_RC`` to the configuration file (the official Docker image
does). It is loaded as ``odoo.cli.callcenter_listen``, outside the addon's
package: it imports the addon only once the registry is loaded.
"""

import argparse
import hashlib
import json
import logging
import random
import signal
import sys
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

import psycopg2
import requests
import websocket
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, fields
from odoo.cli import Command
from odoo.modules.registry import Registry
from odoo.tools import SQL, config

_logger = logging.getLogger(__name__)

CONCURRENCY_ERRORS = (
    pg_errors.SerializationFailure,
    pg_errors.LockNotAvailable,
    pg_errors.DeadlockDetected,
)
MAX_STORE_ATTEMPTS = 10
# While the database is unreachable a received message waits this long at
# most (then it is logged in full, the only place left to keep it).
STORE_GIVE_UP_SECONDS = 300
MAX_ERROR_LENGTH = 500


def backoff_delay(attempt, base, cap):
    """Capped exponential backoff with jitter: base·2^attempt at most
    ``cap``, of which a random 50-100 % is waited."""
    return min(cap, base * 2**attempt) * random.uniform(0.5, 1.0)


class Snapshot:
    """What a stream needs of its provider, read in one transaction."""

    def __init__(self, provider, adapter, adapter_config):
        self.provider_id = provider.id
        self.name = provider.name
        self.code = provider.code
        self.adapter = adapter
        self.config = adapter_config
        self.url = adapter.ws_url(adapter_config)
        self.headers = dict(adapter.ws_headers(adapter_config))
        self.subscribe = list(adapter.ws_subscribe(adapter_config))
        # Any change of the provider's settings restarts its stream. Only a
        # digest is kept to compare: secrets are part of it.
        payload = json.dumps(
            [
                provider.code,
                provider.company_id.id,
                self.url,
                self.headers,
                self.subscribe,
                adapter_config,
            ],
            sort_keys=True,
            default=str,
        )
        self.fingerprint = hashlib.sha256(payload.encode()).hexdigest()

    def secrets(self):
        """Strings that must not reach a log or ``ws_error``."""
        values = [value for value in self.headers.values() if value]
        values += [value for _key, value in parse_qsl(urlsplit(self.url).query)]
        values += [
            value
            for key, value in self.config.items()
            if isinstance(value, str)
            and value
            and any(word in key for word in ("password", "secret", "token", "key"))
        ]
        return sorted({value for value in values if len(value) >= 4}, key=len)[::-1]

    def safe_url(self):
        """The stream URL without its query (which may carry credentials)."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        return f"{parts.scheme}://{host}{parts.path}"

    def scrub(self, text):
        text = str(text)
        for secret in self.secrets():
            text = text.replace(secret, "***")
        return text[:MAX_ERROR_LENGTH]


class ConnectionLost(Exception):
    """The provider closed the stream or stopped answering."""


class ProviderStream(threading.Thread):
    """One provider's websocket: connect, read, store, reconnect."""

    def __init__(self, listener, snapshot):
        super().__init__(name=f"callcenter-stream-{snapshot.provider_id}", daemon=True)
        self.listener = listener
        self.snapshot = snapshot
        self.stop_event = threading.Event()
        self.ws = None
        # Counters for logs and tests.
        self.connections = 0
        self.messages = 0  # read from the socket and dealt with
        self.stored = 0  # of which given to the inbox
        self.closed_on_connect = 0  # calls found ended at a (re)connection
        self.connect_checks = 0  # (re)connections whose live calls were asked
        self._last_stamp = 0.0

    def stop(self):
        self.stop_event.set()

    def run(self):
        # Loaded as odoo.cli.callcenter_listen, outside the addon's package:
        # no relative import; the addon is imported by now.
        from odoo.addons.crm_callcenter.tools.providers import (  # pylint: disable=odoo-addons-relative-import
            StreamError,
        )

        snap = self.snapshot
        listener = self.listener
        threading.current_thread().dbname = listener.dbname
        attempt = 0
        while not self.stop_event.is_set():
            listener.set_state(snap.provider_id, "connecting")
            started = time.monotonic()
            delay = None
            try:
                self._listen()
                error = None
            except ConnectionLost as exc:
                error = str(exc)
            except StreamError as exc:
                # Another client took the stream: fighting back at once would
                # take it from them again and again.
                error = str(exc)
                delay = listener.backoff_max
            except Exception as exc:
                error = self._describe(exc)
            finally:
                self._close()
            if self.stop_event.is_set():
                break
            if self.connections and time.monotonic() - started >= listener.stable_after:
                attempt = 0
            if delay is None:
                delay = backoff_delay(
                    attempt, listener.backoff_base, listener.backoff_max
                )
                attempt += 1
            error = snap.scrub(error or "connection closed")
            _logger.warning(
                "Call center stream of provider %s (%s) at %s: %s; "
                "reconnecting in %.1f s",
                snap.provider_id,
                snap.name,
                snap.safe_url(),
                error,
                delay,
            )
            listener.set_state(snap.provider_id, "error", error=error)
            self.stop_event.wait(delay)

    def _describe(self, exc):
        if isinstance(exc, websocket.WebSocketBadStatusException):
            return f"handshake refused: HTTP {exc.status_code}"
        if isinstance(exc, websocket.WebSocketTimeoutException):
            return "connection timed out"
        if isinstance(exc, websocket.WebSocketConnectionClosedException):
            return "connection lost"
        if isinstance(exc, (websocket.WebSocketException, OSError)):
            return f"{exc.__class__.__name__}: {exc}"
        _logger.exception(
            "Call center stream of provider %s failed", self.snapshot.provider_id
        )
        return f"{exc.__class__.__name__}: {exc}"

    def _listen(self):
        snap = self.snapshot
        listener = self.listener
        ws = websocket.WebSocket()
        self.ws = ws
        ws.connect(
            snap.url,
            header=[f"{key}: {value}" for key, value in snap.headers.items()],
            timeout=listener.connect_timeout,
            suppress_origin=True,
        )
        for message in snap.subscribe:
            ws.send(message)
        self.connections += 1
        listener.set_state(snap.provider_id, "connected", error=None)
        _logger.info(
            "Call center stream of provider %s (%s) connected to %s",
            snap.provider_id,
            snap.name,
            snap.safe_url(),
        )
        self._close_ended_calls()
        ws.settimeout(listener.recv_timeout)
        last_seen = time.monotonic()
        ping_sent = None
        while not self.stop_event.is_set():
            try:
                opcode, frame = ws.recv_data_frame(control_frame=True)
            except websocket.WebSocketTimeoutException:
                now = time.monotonic()
                if ping_sent and now - ping_sent > listener.ping_interval:
                    raise ConnectionLost(
                        f"no answer from the provider for {int(now - last_seen)} s"
                    ) from None
                if not ping_sent and now - last_seen >= listener.ping_interval:
                    ws.ping()
                    ping_sent = now
                continue
            last_seen = time.monotonic()
            ping_sent = None
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise ConnectionLost("connection closed by the provider")
            if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                self.handle(frame.data.decode("utf-8", "replace"))

    def _close_ended_calls(self):
        """Close the calls that ended while the stream was down.

        A websocket replays nothing: the end of a call that hung up while
        the listener was away (or before it started) never comes. Right
        after connecting, the center is asked which calls are in progress;
        the provider's open calls Odoo heard of before and that are not
        among them are closed at their last news. Best effort: when the
        center cannot tell, the provider's time without news closes them.
        """
        try:
            self._close_ended_calls_now()
        finally:
            self.connect_checks += 1

    def _close_ended_calls_now(self):
        snap = self.snapshot
        # Not rounded: what was heard of in this very second counts as before.
        before = datetime.now(timezone.utc).replace(tzinfo=None)
        try:
            live = snap.adapter.ws_live_call_ids(snap.config)
        except (requests.RequestException, ConnectionError, ValueError) as exc:
            _logger.warning(
                "Call center stream of provider %s: the calls in progress could "
                "not be read (%s); calls that ended meanwhile close after the "
                "provider's time without news",
                snap.provider_id,
                snap.scrub(f"{exc.__class__.__name__}: {exc}"),
            )
            return
        if live is None:
            return
        closed = self.listener.close_calls_not_live(snap, live, before)
        if closed:
            _logger.info(
                "Call center stream of provider %s: %s call(s) ended while the "
                "stream was down, closed",
                snap.provider_id,
                closed,
            )
        self.closed_on_connect += closed

    def _close(self):
        ws, self.ws = self.ws, None
        if ws is None:
            return
        try:
            if ws.connected:
                ws.close(timeout=1)
        except (websocket.WebSocketException, OSError) as exc:
            # Closing a broken connection: nothing more to say to the peer.
            _logger.debug("Call center stream close: %s", exc)
        finally:
            ws.shutdown()

    def handle(self, message):
        """Store one message of the stream (a StreamError goes up)."""
        try:
            self._handle(message)
        finally:
            self.messages += 1

    def _handle(self, message):
        from odoo.addons.crm_callcenter.tools.providers import (  # pylint: disable=odoo-addons-relative-import
            PayloadError,
        )

        snap = self.snapshot
        try:
            dedup_key, events = snap.adapter.ws_parse(message)
        except PayloadError as exc:
            error = snap.scrub(f"unreadable message: {exc}")
            _logger.warning(
                "Call center stream of provider %s: %s", snap.provider_id, error
            )
            self.listener.set_state(snap.provider_id, None, error=error)
            return
        if not dedup_key:
            return
        self.listener.store(snap, dedup_key, message, events)
        self.stored += 1
        now = time.monotonic()
        if now - self._last_stamp >= self.listener.event_stamp_interval:
            self._last_stamp = now
            self.listener.set_state(snap.provider_id, None, event_seen=True)


class Listener:
    """Keeps one :class:`ProviderStream` per active websocket provider."""

    def __init__(
        self,
        dbname,
        *,
        poll_interval=30.0,
        backoff_base=1.0,
        backoff_max=60.0,
        stable_after=30.0,
        connect_timeout=10.0,
        recv_timeout=1.0,
        ping_interval=30.0,
        event_stamp_interval=5.0,
    ):
        self.dbname = dbname
        self.poll_interval = poll_interval
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.stable_after = stable_after
        self.connect_timeout = connect_timeout
        self.recv_timeout = recv_timeout
        self.ping_interval = ping_interval
        self.event_stamp_interval = event_stamp_interval
        self.stop_event = threading.Event()
        self.streams = {}

    # -- life cycle ----------------------------------------------------------

    def run(self):
        _logger.info("Call center listener started on database %s", self.dbname)
        try:
            while not self.stop_event.is_set():
                try:
                    self.sync()
                except psycopg2.Error as exc:
                    # The database is away: try again at the next poll.
                    _logger.error("Call center listener cannot read providers: %s", exc)
                except Exception:
                    # A daemon keeps its streams: log and look again later.
                    _logger.exception("Call center listener cannot read providers")
                self.stop_event.wait(self.poll_interval)
        finally:
            for provider_id in list(self.streams):
                self._drop(provider_id)
            _logger.info("Call center listener stopped")

    def stop(self):
        self.stop_event.set()

    def sync(self):
        """Start, restart and stop streams to match the active providers."""
        Registry(self.dbname).check_signaling()
        wanted = self._read_providers()
        for provider_id, stream in list(self.streams.items()):
            snapshot = wanted.get(provider_id)
            if snapshot is None:
                _logger.info(
                    "Call center provider %s removed or not a stream any more",
                    provider_id,
                )
                self._drop(provider_id)
            elif snapshot.fingerprint != stream.snapshot.fingerprint:
                _logger.info(
                    "Call center provider %s changed: reconnecting", provider_id
                )
                self._drop(provider_id, final_state=False)
            elif not stream.is_alive():
                self._drop(provider_id, final_state=False)
        for provider_id, snapshot in wanted.items():
            if provider_id not in self.streams and not self.stop_event.is_set():
                stream = ProviderStream(self, snapshot)
                self.streams[provider_id] = stream
                stream.start()

    def _drop(self, provider_id, final_state=True):
        stream = self.streams.pop(provider_id)
        stream.stop()
        stream.join(self.recv_timeout + self.connect_timeout + 5)
        if stream.is_alive():
            _logger.warning(
                "Call center stream of provider %s did not stop", provider_id
            )
        if final_state:
            self.set_state(provider_id, "disconnected", error=None)

    def _read_providers(self):
        result = {}
        with self.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            for provider in env["crm.callcenter.provider"].search(
                [("active", "=", True)]
            ):
                try:
                    adapter = provider._get_adapter()
                except LookupError:
                    continue
                if not adapter.websocket:
                    continue
                try:
                    result[provider.id] = Snapshot(
                        provider, adapter, provider._get_adapter_config()
                    )
                except (ValueError, KeyError, TypeError) as exc:
                    # Incomplete settings: nothing to connect to yet.
                    self.set_state(
                        provider.id, "error", error=f"not configured: {exc}"[:200]
                    )
        return result

    # -- database ------------------------------------------------------------

    def cursor(self):
        return Registry(self.dbname).cursor()

    @contextmanager
    def provider_env(self, snapshot):
        """The provider of ``snapshot`` in a transaction of its own, as
        superuser (None once deleted)."""
        with self.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            provider = env["crm.callcenter.provider"].browse(snapshot.provider_id)
            yield provider if provider.exists() else None

    def store(self, snapshot, dedup_key, message, events):
        """Receive one message in its own transaction, retried on
        concurrency errors; never loses it without a trace."""
        deadline = time.monotonic() + STORE_GIVE_UP_SECONDS
        attempt = 0
        while True:
            attempt += 1
            try:
                with self.provider_env(snapshot) as provider:
                    if not provider:
                        return
                    env = provider.env
                    provider = provider.with_company(provider.company_id)
                    env["crm.callcenter.event"].with_company(
                        provider.company_id
                    )._receive(provider, dedup_key, message, events)
                return
            except CONCURRENCY_ERRORS:
                if attempt >= MAX_STORE_ATTEMPTS:
                    break
                time.sleep(backoff_delay(attempt, 0.05, 2.0))
            except psycopg2.OperationalError as exc:
                # The database is away: wait for it, the message is in memory.
                if time.monotonic() > deadline:
                    break
                _logger.warning(
                    "Call center listener cannot store a message of provider %s "
                    "(%s); retrying",
                    snapshot.provider_id,
                    exc.__class__.__name__,
                )
                time.sleep(backoff_delay(min(attempt, 5), 0.5, 10.0))
            except Exception as exc:
                _logger.exception(
                    "Call center message %s of provider %s could not be received",
                    dedup_key,
                    snapshot.provider_id,
                )
                if self._store_failed(snapshot, dedup_key, message, events, exc):
                    return
                break
        _logger.error(
            "Call center message %s of provider %s LOST after %s attempts: %s",
            dedup_key,
            snapshot.provider_id,
            attempt,
            message,
        )

    def close_calls_not_live(self, snapshot, live_ids, before):
        """Close the provider's open calls the center no longer has (see
        ``ProviderStream._close_ended_calls``); how many. Retried on
        concurrency errors; on any other error they wait for the sweep."""
        for attempt in range(1, MAX_STORE_ATTEMPTS + 1):
            try:
                with self.provider_env(snapshot) as provider:
                    if not provider:
                        return 0
                    return provider.env["crm.callcenter.call"]._close_calls_not_live(
                        provider, live_ids, before
                    )
            except CONCURRENCY_ERRORS:
                time.sleep(backoff_delay(attempt, 0.05, 2.0))
            except Exception:
                _logger.exception(
                    "Call center listener could not close the ended calls of "
                    "provider %s",
                    snapshot.provider_id,
                )
                return 0
        return 0

    def _store_failed(self, snapshot, dedup_key, message, events, exc):
        """Keep the raw message in error for the retry cron."""
        from odoo.addons.crm_callcenter.tools.storable import (  # pylint: disable=odoo-addons-relative-import
            without_nul,
        )

        # As _receive stores them.
        dedup_key, message = without_nul(dedup_key), without_nul(message)
        try:
            with self.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                Event = env["crm.callcenter.event"]
                provider = env["crm.callcenter.provider"].browse(snapshot.provider_id)
                domain = [
                    ("provider_id", "=", provider.id),
                    ("dedup_key", "=", dedup_key),
                ]
                if not Event.search_count(domain):
                    now = fields.Datetime.now()
                    first = events[0] if events else None
                    Event.create(
                        {
                            "provider_id": provider.id,
                            "company_id": provider.company_id.id,
                            "dedup_key": dedup_key,
                            "received_at": now,
                            "payload": message,
                            "event_type": first and first.event,
                            "external_call_id": first and first.external_call_id,
                            "state": "error",
                            "error": without_nul(str(exc))[:MAX_ERROR_LENGTH]
                            or exc.__class__.__name__,
                            "attempts": 1,
                            "next_retry_at": now,
                        }
                    )
                    env.ref(
                        "crm_callcenter.ir_cron_crm_callcenter_event_retry"
                    )._trigger()
            return True
        except Exception:
            _logger.exception(
                "Call center listener could not keep message %s", dedup_key
            )
            return False

    def set_state(self, provider_id, state, error=False, event_seen=False):
        """Record a stream's state in its own short transaction.

        ``state`` None keeps the state; ``error`` False keeps the error.
        Best effort: a failure is logged, the stream goes on.
        """
        assignments = []
        now = _now()
        if state:
            assignments += [
                SQL("ws_state = %s", state),
                SQL("ws_state_at = %s", now),
            ]
        if error is not False:
            assignments.append(SQL("ws_error = %s", error or None))
        if event_seen:
            assignments.append(SQL("ws_last_event_at = %s", now))
        if not assignments:
            return
        query = SQL(
            "UPDATE crm_callcenter_provider SET %s WHERE id = %s",
            SQL(", ").join(assignments),
            provider_id,
        )
        for attempt in range(1, 4):
            try:
                with self.cursor() as cr:
                    cr.execute(query)
                return
            except CONCURRENCY_ERRORS:
                time.sleep(backoff_delay(attempt, 0.05, 1.0))
            except psycopg2.Error as exc:
                _logger.warning(
                    "Call center listener could not record the state of "
                    "provider %s: %s",
                    provider_id,
                    exc.__class__.__name__,
                )
                return


def _now():
    """Now, naive UTC at second precision, as Odoo stores datetimes."""
    return fields.Datetime.now()


class CallcenterListen(Command):
    """Hold the event websockets of the call center providers that push their
    events (Asterisk ARI, ...) and store them like webhooks."""

    name = "callcenter_listen"

    def run(self, args):
        parser = argparse.ArgumentParser(add_help=False)
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=30.0,
            help="seconds between two looks for added, changed or removed providers",
        )
        options, odoo_args = parser.parse_known_args(args)
        config.parser.prog = self.prog
        config.parse_config(odoo_args, setup_logging=True)
        dbnames = config["db_name"]
        if isinstance(dbnames, str):
            dbnames = [name for name in dbnames.split(",") if name]
        if len(dbnames) != 1:
            sys.exit("callcenter_listen serves one database: give it with -d DATABASE")
        listener = Listener(dbnames[0], poll_interval=options.poll_interval)

        def _stop(signum, _frame):
            _logger.info("Call center listener: signal %s, stopping", signum)
            listener.stop()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        listener.run()
