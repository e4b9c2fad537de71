#!/usr/bin/env python3
"""Screen-pop latency: from POSTing a ringing event to the agent's bus notification.

    python3 bench/screen_pop_latency.py -c /path/to/odoo.conf
    python3 bench/screen_pop_latency.py --duration 10 --background-rate 20

An agent (bench_agent_01, extension 3001) logs in over HTTP and opens
Odoo's /websocket on the gevent port, subscribing like the web client's
websocket worker ({"event_name": "subscribe", "data": {"channels": [], "last":
id}}; the agent's own partner channel, which ``user._bus_send`` targets, is
implied by the session). Every --interval seconds a probe POSTs a signed
``call.ringing`` for 3001 from its own caller number and times until the
matching ``crm_callcenter/call`` notification (state ringing, same number)
arrives; each probe call is ended afterwards. This runs twice: on an idle
server, then under --background-rate events/s of other agents' call
sequences. Exits 0 whatever the figures.
"""

import contextlib
import itertools
import json
import random
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import _common as bc
import requests
import websocket

TARGET_P95_MS = 150.0
TARGET_BACKGROUND = 20.0
WS_VERSION = "19.0-2"  # bus/websocket.py WebsocketConnectionHandler._VERSION
NOTIFICATION = "crm_callcenter/call"
PROBE_NUMBERS = itertools.count(random.randrange(9_000_000))


class AgentSocket:
    """The agent's websocket; records when each ringing notification arrives."""

    def __init__(self, server, session, last_id):
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        self.ws = websocket.create_connection(
            f"{server.ws_url}?version={WS_VERSION}",
            cookie=cookie,
            origin=server.base_url,
            timeout=5,
        )
        self.ws.send(
            json.dumps(
                {"event_name": "subscribe", "data": {"channels": [], "last": last_id}}
            )
        )
        self.arrivals = {}  # customer number -> perf_counter at arrival
        self.notifications = 0
        self.other_types = 0
        self.closed_reason = None
        self.cond = threading.Condition()
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.running:
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketException, OSError) as exc:
                self.closed_reason = repr(exc)
                break
            now = time.perf_counter()
            if not frame:
                continue
            try:
                notifications = json.loads(frame)
            except ValueError:
                continue
            with self.cond:
                for notif in notifications if isinstance(notifications, list) else []:
                    message = notif.get("message") or {}
                    if message.get("type") != NOTIFICATION:
                        self.other_types += 1
                        continue
                    self.notifications += 1
                    payload = message.get("payload") or {}
                    if payload.get("state") == "ringing" and not payload.get("closed"):
                        self.arrivals.setdefault(payload.get("number"), now)
                self.cond.notify_all()

    def wait_for(self, number, timeout):
        deadline = time.perf_counter() + timeout
        with self.cond:
            while number not in self.arrivals:
                remaining = deadline - time.perf_counter()
                if remaining <= 0 or self.closed_reason:
                    return None
                self.cond.wait(remaining)
            return self.arrivals[number]

    def close(self):
        self.running = False
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self.ws.close()
        self.thread.join(timeout=10)


def event(call_id, event_type, number, agent, at, **extra):
    return {
        "type": event_type,
        "timestamp": at.isoformat(),
        "data": {
            "call_id": call_id,
            "direction": "inbound",
            "from": number,
            "to": bc.BENCH_DID,
            "agent": agent,
            **extra,
        },
    }


class Background:
    """Other agents' call sequences at a steady rate (open loop, paced)."""

    def __init__(self, url, agents, rate, run, threads=8, timeout=30):
        self.url = url
        self.agents = agents
        self.rate = rate
        self.run_id = run
        self.nthreads = threads
        self.timeout = timeout
        self.sent = 0
        self.errors = 0
        self.latencies = []
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.counter = itertools.count()
        self.threads = []

    def start(self):
        if self.rate <= 0 or not self.agents:
            return self
        self.started = time.perf_counter()
        for index in range(self.nthreads):
            thread = threading.Thread(target=self._worker, args=(index,), daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def _calls(self):
        rng = random.Random()
        while True:
            n = next(self.counter)
            call_id = f"bench-bg-{self.run_id}-{n}"
            agent = self.agents[n % len(self.agents)]
            number = f"+8496{rng.randrange(10**7):07d}"
            start = datetime.now(timezone.utc).replace(microsecond=0)
            events = [event(call_id, "call.ringing", number, agent, start)]
            if n % 4:
                events += [
                    event(
                        call_id,
                        "call.answered",
                        number,
                        agent,
                        start + timedelta(seconds=6),
                    ),
                    event(
                        call_id,
                        "call.ended",
                        number,
                        agent,
                        start + timedelta(seconds=66),
                    ),
                ]
            else:
                events.append(
                    event(
                        call_id,
                        "call.ended",
                        number,
                        agent,
                        start + timedelta(seconds=20),
                        hangup_cause="ORIGINATOR_CANCEL",
                    )
                )
            yield from events

    def _worker(self, index):
        # Each thread sends every nthreads/rate seconds, offset so that the
        # threads together send at ``rate``.
        period = self.nthreads / self.rate
        next_at = time.perf_counter() + index * period / self.nthreads
        session = requests.Session()
        for payload in self._calls():
            if self.stop_flag.is_set():
                break
            delay = next_at - time.perf_counter()
            if delay > 0 and self.stop_flag.wait(delay):
                break
            next_at += period
            body, headers = bc.signed_request(bc.BENCH_SECRET, payload)
            t1 = time.perf_counter()
            try:
                ok = (
                    session.post(
                        self.url, data=body, headers=headers, timeout=self.timeout
                    ).status_code
                    == 200
                )
            except requests.RequestException:
                ok = False
            with self.lock:
                self.sent += 1
                self.errors += not ok
                self.latencies.append((time.perf_counter() - t1) * 1000)
        session.close()

    def stop(self):
        self.stop_flag.set()
        for thread in self.threads:
            thread.join(timeout=60)
        elapsed = time.perf_counter() - getattr(self, "started", time.perf_counter())
        return self.sent / elapsed if elapsed > 0 else 0.0


def probe_phase(url, agent_socket, agent_ext, duration, interval, timeout, run, label):
    """Ringing events for the agent; (latencies ms, post ms, lost)."""
    session = requests.Session()
    latencies, posts, lost = [], [], 0
    end = time.perf_counter() + duration
    n = 0
    while time.perf_counter() < end:
        n += 1
        number = f"+8497{next(PROBE_NUMBERS):07d}"  # unique: how a probe is recognized
        call_id = f"bench-pop-{run}-{label}-{n}"
        start = datetime.now(timezone.utc).replace(microsecond=0)
        ringing = event(call_id, "call.ringing", "0" + number[3:], agent_ext, start)
        body, headers = bc.signed_request(bc.BENCH_SECRET, ringing)
        t0 = time.perf_counter()
        try:
            status = session.post(
                url, data=body, headers=headers, timeout=30
            ).status_code
        except requests.RequestException:
            status = None
        t1 = time.perf_counter()
        posts.append((t1 - t0) * 1000)
        arrived = agent_socket.wait_for(number, timeout) if status == 200 else None
        if arrived is None:
            lost += 1
        else:
            latencies.append((arrived - t0) * 1000)
        ended = event(
            call_id,
            "call.ended",
            "0" + number[3:],
            agent_ext,
            start + timedelta(seconds=3),
            hangup_cause="ORIGINATOR_CANCEL",
        )
        body, headers = bc.signed_request(bc.BENCH_SECRET, ended)
        with contextlib.suppress(requests.RequestException):
            session.post(url, data=body, headers=headers, timeout=30)
        pause = interval - (time.perf_counter() - t0)
        if pause > 0:
            time.sleep(pause)
    session.close()
    return latencies, posts, lost, n


def bus_last_id(config, database):
    conn = config.connect(database)
    try:
        with conn.cursor() as cr:
            cr.execute("SELECT COALESCE(max(id), 0) FROM bus_bus")
            return cr.fetchone()[0]
    finally:
        conn.close()


def main(argv=None):
    parser = bc.arg_parser(__doc__)
    parser.add_argument(
        "--duration", type=float, default=15, help="seconds per phase (15)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=0.5,
        help="seconds between probes (0.5; each probe is 2 events on top of the "
        "background)",
    )
    parser.add_argument(
        "--background-rate",
        type=float,
        default=TARGET_BACKGROUND,
        help="background events/s of other agents during the loaded phase (20)",
    )
    parser.add_argument("--agents", type=int, default=20, help="agents/extensions (20)")
    parser.add_argument(
        "--processing",
        default="auto,inline,queued",
        help="provider event processing modes to measure, comma-separated "
        "(auto, inline, queued; default all three)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=5,
        help="seconds to wait for a notification (5)",
    )
    args = parser.parse_args(argv)
    modes = [m.strip() for m in args.processing.split(",") if m.strip()]
    if not modes or not set(modes) <= {"auto", "inline", "queued"}:
        parser.error("--processing takes auto, inline and/or queued")

    config = bc.BenchConfig.from_args(args)
    database = config.database
    config.ensure_database(
        database, ["crm_callcenter", "bench_trivial"], update=not args.no_update
    )
    with bc.odoo_env(config, database) as env:
        provider, agents = bc.ensure_bench_provider(env, max(args.agents, 2))
        if "create_lead_unknown" in provider._fields:
            provider.create_lead_unknown = False
        if "callcenter_auto_open" in env["res.users"]._fields:
            agents[0][1].callcenter_auto_open = True
        token = provider.sudo().webhook_token
        provider_id = provider.id
        agent_login = agents[0][1].login
        agent_ext = agents[0][0]
        others = [ext for ext, _user in agents[1:]]
    run = uuid.uuid4().hex[:8]
    print(f"screen_pop_latency run {run} on database {database}")
    print(bc.machine_note())

    rows = []
    notes = []
    # Odoo's default of two cron workers: queued events are folded there.
    with bc.OdooServer(config, database, cron_threads=2) as server:
        server.warm_up("/bench/trivial")
        url = f"{server.base_url}/callcenter/webhook/{token}"
        session = server.login(agent_login, bc.AGENT_PASSWORD)
        agent_socket = AgentSocket(server, session, bus_last_id(config, database))
        # Let the subscription settle, then warm the webhook path.
        time.sleep(1)
        probe_phase(
            url, agent_socket, agent_ext, 2, args.interval, args.timeout, run, "warm"
        )
        phases = [
            (mode, label, rate)
            for mode in modes
            for label, rate in (("idle", 0.0), ("loaded", args.background_rate))
        ]
        for mode, label, rate in phases:
            bc.set_processing(config, database, provider_id, mode)
            bc.say(f"processing {mode}:")
            bc.say(
                f"{label}: probes every {args.interval:g} s for {args.duration:g} s,"
                f" background {rate:g} ev/s"
            )
            background = Background(url, others, rate, f"{run}-{mode}").start()
            time.sleep(1 if rate else 0)
            latencies, posts, lost, sent = probe_phase(
                url,
                agent_socket,
                agent_ext,
                args.duration,
                args.interval,
                args.timeout,
                run,
                f"{mode}-{label}",
            )
            achieved = background.stop() if rate else 0.0
            bg_p50 = bc.percentile(background.latencies, 50) if rate else float("nan")
            rows.append(
                [
                    mode,
                    label,
                    f"{achieved:.1f}",
                    background.errors,
                    sent,
                    len(latencies),
                    lost,
                    bc.percentile(latencies, 50),
                    bc.percentile(latencies, 95),
                    bc.percentile(latencies, 99),
                    max(latencies) if latencies else float("nan"),
                    bc.percentile(posts, 50),
                    bg_p50,
                ]
            )
        if agent_socket.closed_reason:
            notes.append(f"websocket closed: {agent_socket.closed_reason}")
        if not agent_socket.notifications:
            notes.append(
                f"no {NOTIFICATION} notification at all: is the bus notification in "
                "(grep -n _bus_send addons/crm_callcenter/models)? "
                f"other notifications seen: {agent_socket.other_types}"
            )
        agent_socket.close()
        bc.set_processing(config, database, provider_id, "auto")
        errors = [
            line for line in server.tail(200_000).splitlines() if " ERROR " in line
        ]
        retries = server.concurrency_retries()

    bc.table(
        [
            "processing",
            "phase",
            "bg ev/s",
            "bg errors",
            "probes",
            "popped",
            "lost",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "POST p50 ms",
            "bg POST p50 ms",
        ],
        rows,
        title="Screen pop: POST of call.ringing -> crm_callcenter/call on the "
        "agent's websocket",
    )
    print(bc.machine_note("end"))
    print(
        f"transactions retried after a concurrency error: {retries['retries']} "
        f"(workers slept {retries['slept']:.1f} s), given up: {retries['failed']}"
    )
    for note in notes:
        print("note: " + note)
    if errors:
        print(f"server log: {len(errors)} ERROR line(s), first: {errors[0][:300]}")
    for loaded in (row for row in rows if row[1] == "loaded"):
        p95 = loaded[8]
        achieved = float(loaded[2])
        ok = (
            loaded[5] > 0
            and loaded[6] == 0
            and p95 <= TARGET_P95_MS
            and achieved >= 0.9 * args.background_rate
        )
        print(
            f"\nTarget ({loaded[0]}): p95 <= {TARGET_P95_MS:g} ms under "
            f"{args.background_rate:g} ev/s (achieved {achieved:.1f}), no lost "
            f"notification: p95 {'-' if p95 != p95 else f'{p95:.1f} ms'}, "
            f"lost {loaded[6]} -> {bc.verdict(ok)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
