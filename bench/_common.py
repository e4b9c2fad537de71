"""Shared helpers of the benchmarks: a real Odoo, its database, signing, tables.

Not a test helper: everything here talks to a real PostgreSQL and a real
``odoo`` process started with ``--workers=2`` on free ports of 127.0.0.1,
like ``tests/conftest.py`` does.
"""

import argparse
import base64
import configparser
import contextlib
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg2
import requests
from psycopg2 import sql as pgsql

REPO = Path(__file__).resolve().parents[1]
BENCH_ADDONS = REPO / "bench" / "addons"
DEFAULT_DB = "crm_callcenter_bench"

# The benchmark provider and its agents (created in the benchmark database).
BENCH_PROVIDER_NAME = "Benchmark Contact Center"
BENCH_SECRET = "whsec_YmVuY2htYXJrLW9ubHktc2VjcmV0LW5vdC1mb3ItdXNlIQ=="
BENCH_DID = "+842838999000"
AGENT_LOGIN = "bench_agent_{:02d}"
AGENT_PASSWORD = "bench-agent-pw"
AGENT_EXTENSION = "{:d}"  # 3001, 3002, ...
AGENT_EXTENSION_BASE = 3000


# ----------------------------------------------------------------------
# Command line and configuration
# ----------------------------------------------------------------------


def arg_parser(doc):
    """Parser with the options every benchmark shares."""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        epilog=doc.split("\n\n", 1)[1] if "\n\n" in doc else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "-c",
        "--config",
        default=os.environ.get("CRM_CALLCENTER_BENCH_CONFIG"),
        help="Odoo configuration file (database connection, addons_path); "
        "default $CRM_CALLCENTER_BENCH_CONFIG, else one written to "
        ".local/odoo-bench.conf from the ODOO_DB_* variables like scripts/run.sh",
    )
    parser.add_argument(
        "-d",
        "--database",
        help=f"benchmark database (default: db_name of the config, else {DEFAULT_DB})",
    )
    parser.add_argument(
        "--no-update",
        action="store_true",
        help="do not run '-u crm_callcenter' on an existing database first "
        "(faster when the code did not change since the last run)",
    )
    return parser


def _write_default_config(path):
    """Same configuration as scripts/lib.sh write_config, for the bench DB."""
    import odoo

    core = []
    for pkg in odoo.__path__:
        for cand in (Path(pkg).parent / "addons", Path(pkg) / "addons"):
            if (cand / "base").is_dir() or (cand / "web").is_dir():
                core.append(str(cand.resolve()))
    addons = ",".join([*dict.fromkeys(core), str(REPO / "addons")])
    env = os.environ
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "[options]\n"
        f"db_host = {env.get('ODOO_DB_HOST', '127.0.0.1')}\n"
        f"db_port = {env.get('ODOO_DB_PORT', '5432')}\n"
        f"db_user = {env.get('ODOO_DB_USER', 'odoo')}\n"
        f"db_password = {env.get('ODOO_DB_PASSWORD', 'odoo')}\n"
        f"db_name = {DEFAULT_DB}\n"
        f"addons_path = {addons}\n"
        f"data_dir = {REPO / '.local' / 'data'}\n"
    )
    path.chmod(0o600)


class BenchConfig:
    """The Odoo configuration file and the values the benchmarks need."""

    def __init__(self, path=None, database=None):
        if not path:
            path = REPO / ".local" / "odoo-bench.conf"
            if not path.exists():
                _write_default_config(path)
        self.path = str(Path(path).resolve())
        parser = configparser.ConfigParser(interpolation=None)
        if not parser.read(self.path):
            sys.exit(f"cannot read the Odoo configuration {self.path}")
        options = parser["options"]
        self.db_host = options.get("db_host") or "127.0.0.1"
        self.db_port = int(options.get("db_port") or 5432)
        self.db_user = options.get("db_user") or "odoo"
        self.db_password = options.get("db_password") or ""
        self.database = (
            database or (options.get("db_name") or "").split(",")[0] or DEFAULT_DB
        )
        paths = [p.strip() for p in (options.get("addons_path") or "").split(",")]
        self.addons_path = ",".join([p for p in paths if p] + [str(BENCH_ADDONS)])
        if (options.get("dbfilter") or "").strip():
            # Every sessionless request (all of the benchmarks' POSTs) then
            # lists the databases on a new PostgreSQL connection.
            print(
                f"warning: {self.path} sets a dbfilter: Odoo then opens a"
                " PostgreSQL connection per request to list the databases,"
                " which dominates the figures (see crm_callcenter's CONFIGURE);"
                " name the database with db_name only",
                file=sys.stderr,
            )

    @classmethod
    def from_args(cls, args):
        return cls(args.config, args.database)

    # -- PostgreSQL ------------------------------------------------------

    def connect(self, database=None):
        return psycopg2.connect(
            host=self.db_host,
            port=self.db_port,
            user=self.db_user,
            password=self.db_password,
            dbname=database or self.database,
        )

    def db_exists(self, database):
        conn = self.connect("postgres")
        try:
            with conn.cursor() as cr:
                cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
                return bool(cr.fetchone())
        finally:
            conn.close()

    def drop_db(self, database):
        conn = self.connect("postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cr:
                cr.execute(
                    pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        pgsql.Identifier(database)
                    )
                )
        finally:
            conn.close()

    def installed_modules(self, database):
        if not self.db_exists(database):
            return set()
        conn = self.connect(database)
        try:
            with conn.cursor() as cr:
                cr.execute(
                    "SELECT name FROM ir_module_module WHERE state = 'installed'"
                )
                return {row[0] for row in cr.fetchall()}
        except psycopg2.Error:
            return set()
        finally:
            conn.close()

    # -- odoo-bin --------------------------------------------------------

    def odoo_cmd(self, database, *args):
        return [
            *odoo_launcher(),
            "-c",
            self.path,
            "--addons-path",
            self.addons_path,
            "-d",
            database,
            *args,
        ]

    def ensure_database(self, database, modules, demo=False, update=True):
        """Create ``database`` with ``modules``, or bring it up to date.

        ``update`` runs ``-u crm_callcenter`` (and installs missing
        modules) so that the code under test is the code on disk.
        """
        installed = self.installed_modules(database)
        missing = [m for m in modules if m not in installed]
        if not installed:
            say(f"creating database {database} with {', '.join(modules)}")
            args = ["-i", ",".join(modules)]
            if demo:
                args.append("--with-demo")
        elif missing or update:
            args = []
            if missing:
                args += ["-i", ",".join(missing)]
            present = [m for m in modules if m in installed]
            if update and present:
                args += ["-u", ",".join(present)]
            say(f"updating database {database} ({' '.join(args)})")
        else:
            return
        started = time.monotonic()
        result = subprocess.run(
            self.odoo_cmd(
                database,
                *args,
                "--stop-after-init",
                "--log-level=warn",
                "--max-cron-threads=0",
            ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not set(modules) <= self.installed_modules(
            database
        ):
            sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
            sys.exit(f"could not install/update {modules} in {database}")
        say(f"database {database} ready in {time.monotonic() - started:.0f} s")


def odoo_launcher():
    """``odoo-bin`` as the benchmarks run it: see bench/_odoo_bin.py (why a
    script rather than ``python -m odoo``)."""
    return [sys.executable, str(REPO / "bench" / "_odoo_bin.py")]


def say(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----------------------------------------------------------------------
# A real Odoo with two workers
# ----------------------------------------------------------------------


class OdooServer:
    """``odoo --workers=2`` on free ports of 127.0.0.1, stopped on exit.

    In prefork mode HTTP requests go to ``http_port`` (the worker
    processes) and ``/websocket`` to ``gevent_port`` (the separate gevent
    process that holds the bus connections).
    """

    def __init__(
        self, config, database, workers=2, log_level="warn", extra=(), cron_threads=0
    ):
        self.config = config
        self.cron_threads = cron_threads
        self.database = database
        self.workers = workers
        self.log_level = log_level
        self.extra = list(extra)
        self.http_port = free_port()
        self.gevent_port = free_port()
        self.base_url = f"http://127.0.0.1:{self.http_port}"
        self.ws_url = f"ws://127.0.0.1:{self.gevent_port}/websocket"
        self.logdir = tempfile.mkdtemp(prefix="cc-bench-odoo-")
        self.logfile = os.path.join(self.logdir, "server.log")
        self.proc = None

    def __enter__(self):
        cmd = self.config.odoo_cmd(
            self.database,
            "--http-interface",
            "127.0.0.1",
            "--http-port",
            str(self.http_port),
            "--gevent-port",
            str(self.gevent_port),
            "--workers",
            str(self.workers),
            "--max-cron-threads",
            str(self.cron_threads),
            "--log-level",
            self.log_level,
            "--logfile",
            self.logfile,
            # One line per transaction retried after a concurrency error:
            # requests (Odoo's) and our cron jobs.
            "--log-handler",
            "odoo.service.model:INFO",
            "--log-handler",
            "odoo.addons.crm_callcenter.models.ir_cron:INFO",
            *self.extra,
        )
        say(
            f"starting odoo --workers={self.workers} on {self.base_url} "
            f"(log {self.logfile})"
        )
        # Own process group: on exit the whole tree (master, workers, gevent)
        # is stopped, and nothing else.
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                sys.exit(f"Odoo exited early, see {self.logfile}:\n{self.tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base_url}/web/health", timeout=5).ok:
                    break
            if time.monotonic() > deadline:
                self.stop()
                sys.exit(f"Odoo did not start within 120 s, see {self.logfile}")
            time.sleep(0.5)
        self._wait_gevent(deadline)
        return self

    def warm_up(self, path="/web/login", rounds=3):
        """Load the registry in every worker before anything is measured.

        /web/health answers without a database; the first request of each
        worker for the database loads its registry (seconds).
        """

        def hit():
            with requests.Session() as session:
                for _ in range(rounds):
                    with contextlib.suppress(requests.RequestException):
                        session.post(
                            self.base_url + path,
                            data=b"{}",
                            headers={"Content-Type": "application/json"},
                            timeout=120,
                        )

        threads = [threading.Thread(target=hit) for _ in range(self.workers * 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _wait_gevent(self, deadline):
        url = f"http://127.0.0.1:{self.gevent_port}/websocket/health"
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=5).ok:
                    return
            time.sleep(0.5)
        say("warning: the gevent (websocket) process did not answer its health check")

    def __exit__(self, *_exc):
        self.stop()

    def stop(self):
        if not self.proc or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        # Workers and the gevent process share the group: let them finish.
        time.sleep(0.5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)

    def concurrency_retries(self):
        """Transactions retried after a concurrency error, and how long the
        workers slept before retrying: requests (``odoo.service.model.retrying``
        sleeps a random 0-2 s, then 0-4 s ..., blocking the worker) and our
        cron jobs (``ir.cron._callcenter_retrying``)."""
        retries, slept, failed, errors = 0, 0.0, 0, {}
        request = re.compile(r": (\w+), \d+ tries left, try again in ([\d.]+) sec")
        cron = re.compile(r"Cron job \S+: (\w+), trying again in ([\d.]+) s")
        with (
            contextlib.suppress(OSError),
            open(self.logfile, encoding="utf-8", errors="replace") as fh,
        ):
            for line in fh:
                if "odoo.service.model:" in line:
                    match = request.search(line)
                    if "maximum number of tries reached" in line:
                        failed += 1
                elif "models.ir_cron:" in line:
                    match = cron.search(line)
                    if "lost to concurrent transactions" in line:
                        failed += 1
                else:
                    continue
                if match:
                    retries += 1
                    slept += float(match.group(2))
                    kind = match.group(1)
                    if "models.ir_cron:" in line:
                        kind = f"cron {kind}"
                    errors[kind] = errors.get(kind, 0) + 1
        return {"retries": retries, "slept": slept, "failed": failed, "errors": errors}

    def tail(self, chars=3000):
        try:
            return Path(self.logfile).read_text()[-chars:]
        except OSError:
            return ""

    def login(self, login, password):
        """A requests.Session logged in as ``login`` (its session_id cookie)."""
        session = requests.Session()
        response = session.post(
            f"{self.base_url}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"db": self.database, "login": login, "password": password},
            },
            timeout=30,
        )
        response.raise_for_status()
        result = response.json()
        if result.get("error") or not result.get("result", {}).get("uid"):
            sys.exit(f"login as {login} failed: {json.dumps(result)[:500]}")
        return session


# ----------------------------------------------------------------------
# In-process ORM (setup, verification helpers, lookups)
# ----------------------------------------------------------------------

_odoo_configured = None


@contextlib.contextmanager
def odoo_env(config, database, commit=True):
    """A superuser environment on a new cursor of ``database``."""
    global _odoo_configured
    import odoo
    from odoo import api
    from odoo.modules.registry import Registry

    if _odoo_configured != config.path:
        odoo.tools.config.parse_config(
            [
                "-c",
                config.path,
                "--addons-path",
                config.addons_path,
                "-d",
                database,
                "--log-level",
                "warn",
                "--max-cron-threads",
                "0",
                "--http-interface",
                "127.0.0.1",
            ],
            setup_logging=True,
        )
        _odoo_configured = config.path
    registry = Registry(database)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        try:
            yield env
        except BaseException:
            cr.rollback()
            raise
        if commit:
            cr.commit()
        else:
            cr.rollback()


def ensure_bench_provider(env, agents):
    """The benchmark provider, ``agents`` agent users and their extensions.

    Idempotent: a second run finds what the first created. Returns
    ``(provider, [(extension, user), ...])``.
    """
    Provider = env["crm.callcenter.provider"].with_context(active_test=False)
    provider = Provider.search([("name", "=", BENCH_PROVIDER_NAME)], limit=1)
    vn = env.ref("base.vn")
    vals = {
        "name": BENCH_PROVIDER_NAME,
        "code": "generic",
        "active": True,
        "default_country_id": vn.id,
        "webhook_secret": BENCH_SECRET,
    }
    if provider:
        provider.write(vals)
    else:
        provider = Provider.create(vals)
    group = env.ref("crm_callcenter.crm_callcenter_group_agent")
    Users = env["res.users"].with_context(no_reset_password=True, active_test=False)
    Extension = env["crm.callcenter.extension"].with_context(active_test=False)
    result = []
    for index in range(1, agents + 1):
        login = AGENT_LOGIN.format(index)
        user = Users.search([("login", "=", login)], limit=1)
        if not user:
            user = Users.create(
                {
                    "name": f"Bench Agent {index:02d}",
                    "login": login,
                    "password": AGENT_PASSWORD,
                    "group_ids": [(4, group.id)],
                }
            )
        elif not user.active:
            user.active = True
        extension = str(AGENT_EXTENSION_BASE + index)
        ext = Extension.search(
            [("provider_id", "=", provider.id), ("name", "=", extension)], limit=1
        )
        if not ext:
            Extension.create(
                {"name": extension, "provider_id": provider.id, "user_id": user.id}
            )
        elif ext.user_id != user or not ext.active:
            ext.write({"user_id": user.id, "active": True})
        result.append((extension, user))
    # Agents must be able to take calls whatever presence the code requires.
    if "callcenter_presence" in env["res.users"]._fields:
        env["res.users"].browse([u.id for _e, u in result]).write(
            {"callcenter_presence": "available"}
        )
    return provider, result


# ----------------------------------------------------------------------
# Generic signed webhook
# ----------------------------------------------------------------------


def sign(secret, msg_id, timestamp, body):
    """Standard Webhooks ``v1,`` signature of ``body`` (bytes)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(digest.digest()).decode()


def signed_request(secret, payload, msg_id=None):
    """``(body, headers)`` of one generic event, signed now."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    timestamp = str(int(time.time()))
    return body, {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }


# ----------------------------------------------------------------------
# Figures
# ----------------------------------------------------------------------


def percentile(values, pct):
    """Nearest-rank percentile (``pct`` in 0..100) of a list of numbers."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def table(headers, rows, title=None):
    """Print a plain-text table (right-aligned numbers)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    if title:
        print(f"\n{title}")
    line = "  ".join("-" * w for w in widths)
    print(line)
    for index, row in enumerate(cells):
        print(
            "  ".join(
                cell.rjust(width) if _numeric(cell) else cell.ljust(width)
                for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )
        if index == 0:
            print(line)
    print(line)


def _fmt(value):
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def _numeric(cell):
    try:
        float(cell.rstrip("x%"))
    except ValueError:
        return False
    return True


def verdict(ok):
    return "PASS" if ok else "FAIL"


def machine_note(when="start"):
    """One line on what the figures were measured on."""
    load = os.getloadavg()
    return (
        f"host: {os.cpu_count()} CPU(s), load average {load[0]:.2f} {load[1]:.2f} "
        f"{load[2]:.2f} at {when}; python {sys.version.split()[0]}"
    )


def set_processing(config, database, provider_id, mode):
    """Switch a provider's event processing: auto, inline or queued (the
    workers read the provider on every request)."""
    conn = config.connect(database)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "UPDATE crm_callcenter_provider SET event_processing = %s"
                " WHERE id = %s",
                [mode, provider_id],
            )
        conn.commit()
    finally:
        conn.close()
