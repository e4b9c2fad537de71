"""End-to-end fixtures: a real Odoo server process on the test database."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

import odoo
from odoo.tests.common import get_db_name

REPO = Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _odoo_command():
    """How to start Odoo so that its prefork server can respawn itself.

    With ``--workers`` Odoo starts its websocket (gevent) process as
    ``python sys.argv[0] gevent``, which fails when ``sys.argv[0]`` is
    ``odoo/__main__.py`` (``python -m odoo``): use the ``odoo`` script that
    installing Odoo provides, next to this interpreter.
    """
    script = Path(sys.executable).with_name("odoo")
    if script.exists():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "odoo"]


@pytest.fixture(scope="session")
def _gevent_port():
    return _free_port()


@pytest.fixture(scope="session")
def odoo_websocket_url(odoo_server, _gevent_port):
    """The ``/websocket`` of ``odoo_server``: its gevent process."""
    return f"ws://127.0.0.1:{_gevent_port}/websocket"


@pytest.fixture(scope="session")
def odoo_server(tmp_path_factory, _gevent_port):
    """Serve the test database with two workers, as in production, and
    their websocket process (the agents' screen pop)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("odoo") / "server.log"
    cmd = [
        *_odoo_command(),
        "-c", odoo.tools.config["config"],
        "-d", get_db_name(),
        "--http-interface", "127.0.0.1",
        "--http-port", str(port),
        "--gevent-port", str(_gevent_port),
        "--workers", "2",
        # One cron worker: queued providers need it to fold their events.
        "--max-cron-threads", "1",
        "--log-level", "warn",
        "--logfile", str(log),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        for url in (
            f"{base_url}/web/health",
            # The websocket process dies at start when gevent cannot load
            # its plugins (see requirements.txt, setuptools).
            f"http://127.0.0.1:{_gevent_port}/websocket/health",
        ):
            while True:
                if proc.poll() is not None:
                    pytest.fail(
                        f"Odoo exited early, see {log}:\n{log.read_text()[-3000:]}"
                    )
                try:
                    if requests.get(url, timeout=10).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"{url} did not answer within 90 s, see {log}:\n"
                        f"{log.read_text()[-3000:]}"
                    )
                time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def env():
    """A fresh environment on a new cursor: sees what the server committed."""
    registry = odoo.modules.registry.Registry(get_db_name())
    with registry.cursor() as cr:
        yield odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        cr.rollback()
