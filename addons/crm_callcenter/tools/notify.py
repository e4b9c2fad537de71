"""NOTIFY on the ``postgres`` database through a connection kept open.

Odoo's bus and cron workers LISTEN on the ``postgres`` database, so every
transaction that sends a bus message or wakes a cron worker ends with a
NOTIFY there, and Odoo's connection pool never keeps connections to
``postgres``: each NOTIFY opened a new PostgreSQL connection (a backend
fork and a SCRAM handshake, about 15 ms and 8 ms of the worker's CPU here)
for a statement that takes 0.2 ms. A contact center's webhook sends one per
call event.

``notify()`` sends the same statements through one connection per process
(per fork: a worker never uses its parent's socket), in autocommit, under a
lock (threaded and gevent servers share it). A broken connection (server
restart, idle timeout) is replaced once; if that fails too, the error goes
up as it did from Odoo's own code.
"""

import contextlib
import logging
import os
import threading

import psycopg2

from odoo import sql_db
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

_lock = threading.Lock()
_state = {"pid": None, "cnx": None}


def _connection():
    cnx = _state["cnx"]
    if cnx is not None and _state["pid"] == os.getpid() and not cnx.closed:
        return cnx
    _dbname, info = sql_db.connection_info_for("postgres")
    cnx = psycopg2.connect(**info)
    cnx.autocommit = True
    _state.update(pid=os.getpid(), cnx=cnx)
    return cnx


def _drop():
    cnx = _state["cnx"]
    _state["cnx"] = None
    # A parent's connection (fork) is left to the parent: psycopg2 does not
    # close connections of another process.
    if cnx is not None and _state["pid"] == os.getpid():
        with contextlib.suppress(psycopg2.Error):
            cnx.close()


def notify(function, channel, payloads):
    """``SELECT <function>(channel, payload)`` for each payload, on the
    ``postgres`` database (``function`` is ``pg_notify`` unless Odoo's
    ODOO_NOTIFY_FUNCTION says otherwise)."""
    queries = [
        SQL("SELECT %s(%s, %s)", SQL.identifier(function), channel, payload)
        for payload in payloads
    ]
    with _lock:
        for attempt in (1, 2):
            try:
                with _connection().cursor() as cr:
                    for query in queries:
                        cr.execute(query.code, query.params)
                return
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                _drop()
                if attempt == 2:
                    raise
                _logger.info("NOTIFY connection lost, reconnecting")
