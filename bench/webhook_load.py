#!/usr/bin/env python3
"""Webhook throughput and latency: signed generic events against odoo --workers=2.

    python3 bench/webhook_load.py -c /path/to/odoo.conf            # full run
    python3 bench/webhook_load.py --duration 5 --concurrency 8     # quick check
    python3 bench/webhook_load.py --concurrency 8 --rates 40,80    # + open loop

For each concurrency level (default 4, 8, 16) it runs, for --duration seconds
each after a short warm-up, the baseline route of bench/addons/bench_trivial
(POST /bench/trivial: one ORM insert, same route flags as our webhook) before
and after whole call sequences (ringing, answered, ended, sometimes updated; inbound and
outbound; missed and answered) for many distinct numbers and agents through
POST /callcenter/webhook/<token>. Each client thread has its own
requests.Session and plays its calls' events in order. It prints events/s,
p50/p99 latency, our events/s as a ratio of the baseline, and afterwards checks
in the database that every call sent exists exactly once with the expected
final state. --rates adds open-loop phases (requests sent on a fixed schedule
whatever the server answers) and prints their latency. --profile lists the SQL
queries of each event type (auto: only when the target is missed). The
webhook phases run once per provider event processing mode (--processing):
auto (the default: inline until a web worker gets more than 20 events/s,
queued beyond), inline and queued. Exits 0 whatever the figures: it informs.
"""

import functools
import itertools
import json
import random
import re
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import _common as bc
import requests

TARGET_CONCURRENCY = 8
TARGET_RATIO = 0.6
TARGET_P99_MS = 60.0
# Provider event processing modes; auto is the provider's default.
MODES = ("auto", "inline", "queued")
# The modes whose events may wait in the queue after a phase.
QUEUEING_MODES = ("auto", "queued")
KNOWN_CALLERS = 500  # partners whose numbers call in (the rest are unknown)

# (share, direction, scenario)
SCENARIOS = [
    (55, "inbound", "answered"),
    (10, "inbound", "answered+updated"),
    (20, "inbound", "missed"),
    (10, "outbound", "answered"),
    (5, "outbound", "no_answer"),
]


def known_caller_number(index):
    """E.164 of the index-th known caller (VN mobile, 093 9xx xxxx)."""
    return f"+84939{index:06d}"


def pbx_format(e164, style):
    """``+84939000123`` as a Vietnamese PBX may send it."""
    national = "0" + e164[3:]
    return {
        0: national,  # 0939000123
        1: e164,  # +84939000123
        2: e164[1:],  # 84939000123 (PBX dropped the +)
        3: "00" + e164[1:],  # 0084939000123
        4: f"{national[:4]} {national[4:7]} {national[7:]}",  # 0939 000 123
    }[style % 5]


def pick_scenario(pick):
    """(direction, scenario) for ``pick`` in [0, 100] (SCENARIOS' shares)."""
    for share, direction, scenario in SCENARIOS:
        if pick < share:
            return direction, scenario
        pick -= share
    return SCENARIOS[-1][1:]


class CallPlan:
    """One call: its events in order and the final state it must reach."""

    __slots__ = ("call_id", "complete", "events", "expected", "statuses")

    def __init__(self, run, index, agents, known_partner_ids, rng_seed):
        rng = random.Random(rng_seed * 1_000_003 + index)
        self.call_id = f"bench-{run}-{index}"
        direction, scenario = pick_scenario(rng.uniform(0, 100))
        extension, user_id = agents[index % len(agents)]
        if known_partner_ids and rng.random() < 0.4:
            caller = rng.randrange(len(known_partner_ids))
            customer = known_caller_number(caller)
            partner_id = known_partner_ids[caller]
        else:
            customer = f"+8498{rng.randrange(10**7):07d}"  # nobody has 098...
            partner_id = None
        raw = pbx_format(customer, rng.randrange(5))
        data = {
            "call_id": self.call_id,
            "direction": direction,
            "from": raw if direction == "inbound" else bc.BENCH_DID,
            "to": bc.BENCH_DID if direction == "inbound" else raw,
            "agent": extension,
            "queue": "sales" if direction == "inbound" else None,
        }
        data = {k: v for k, v in data.items() if v is not None}
        start = datetime.now(timezone.utc).replace(microsecond=0)

        def event(event_type, offset, **extra):
            return {
                "type": event_type,
                "timestamp": (start + timedelta(seconds=offset)).isoformat(),
                "data": {**data, **extra},
            }

        answered = scenario.startswith("answered")
        if answered:
            self.events = [
                event("call.ringing", 0),
                event("call.answered", 8),
                event("call.ended", 68, hangup_cause="NORMAL_CLEARING"),
            ]
            if scenario == "answered+updated":
                self.events.append(
                    event(
                        "call.updated",
                        120,
                        duration=68,
                        billsec=60,
                        recording_url=f"https://pbx.example.com/rec/{self.call_id}.mp3",
                    )
                )
        else:
            cause = "ORIGINATOR_CANCEL" if direction == "inbound" else "NO_ANSWER"
            self.events = [
                event("call.ringing", 0),
                event("call.ended", 25, hangup_cause=cause),
            ]
        self.expected = {
            "state": "ended",
            "direction": direction,
            "outcome": "answered"
            if answered
            else ("missed" if direction == "inbound" else "no_answer"),
            "customer_number": customer,
            "partner_id": partner_id,
            "user_id": user_id,
            "billsec": 60 if answered else 0,
            "duration": 68 if answered else 25,
        }
        self.statuses = []
        self.complete = False


# ----------------------------------------------------------------------
# Load phases
# ----------------------------------------------------------------------


class Phase:
    """``concurrency`` threads sending for ``warmup + duration`` seconds."""

    def __init__(self, name, concurrency, warmup, duration, timeout):
        self.name = name
        self.concurrency = concurrency
        self.warmup = warmup
        self.duration = duration
        self.timeout = timeout
        self.records = []  # (t_start, t_end, kind, status)
        self.mode = None  # webhook phases: the provider's event processing
        self.drain = None  # queued: seconds to fold the backlog afterwards
        self.plans = []
        self.lock = threading.Lock()

    @property
    def load(self):
        return f"c={self.concurrency}"

    def run(self, next_unit):
        """``next_unit()`` → (plan or None, [(kind, url, body, headers-fn), ...])."""
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        self.window = (t0 + self.warmup, t0 + self.warmup + self.duration)
        threads = [
            threading.Thread(target=self._worker, args=(next_unit,), daemon=True)
            for _ in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Share of one core the load generator itself used (it runs on the
        # same machine as Odoo and PostgreSQL).
        self.client_cpu = (time.process_time() - cpu0) / (time.perf_counter() - t0)
        return self

    def _post(self, session, url, body, headers):
        """The answer's HTTP status, or the name of the client error."""
        try:
            return session.post(
                url, data=body, headers=headers, timeout=self.timeout
            ).status_code
        except requests.RequestException as exc:
            return type(exc).__name__

    def _worker(self, next_unit):
        session = requests.Session()
        records, plans = [], []
        end = self.window[1]
        while time.perf_counter() < end:
            plan, requests_ = next_unit()
            for kind, url, make in requests_:
                body, headers = make()
                t1 = time.perf_counter()
                status = self._post(session, url, body, headers)
                t2 = time.perf_counter()
                records.append((t1, t2, kind, status))
                if plan is not None:
                    plan.statuses.append(status)
            if plan is not None:
                plan.complete = all(s == 200 for s in plan.statuses)
                plans.append(plan)
        session.close()
        with self.lock:
            self.records.extend(records)
            self.plans.extend(plans)

    def measured(self, kind=None):
        """Records that completed inside the measurement window."""
        lo, hi = self.window
        return [
            r
            for r in self.records
            if lo <= r[0] and r[1] <= hi and (kind is None or r[2] == kind)
        ]

    def figures(self, kind=None):
        rows = self.measured(kind)
        latencies = [(r[1] - r[0]) * 1000 for r in rows]
        errors = sum(1 for r in rows if r[3] != 200)
        return {
            "count": len(rows),
            "rate": len(rows) / self.duration,
            "p50": bc.percentile(latencies, 50),
            "p99": bc.percentile(latencies, 99),
            "errors": errors,
        }

    def error_summary(self):
        return Counter(str(r[3]) for r in self.records if r[3] != 200)


class OpenPhase(Phase):
    """Open loop: units start on a fixed schedule at ``rate`` requests per
    second, whatever the server answers, as a contact center's calls arrive.

    A unit's first request counts its latency from its scheduled time, so a
    server (or a client pool) that falls behind shows in the figures instead
    of slowing the load down (no coordinated omission). A unit's later
    requests (the next events of the same call) leave as soon as the
    previous one is answered, as in the closed-loop phases.
    """

    POOL = 128  # client threads: far more than the units in flight below capacity

    def __init__(self, name, rate, warmup, duration, timeout):
        super().__init__(name, 0, warmup, duration, timeout)
        self.rate = rate

    @property
    def load(self):
        return f"{self.rate:g}/s"

    def run(self, next_unit):
        local = threading.local()
        sessions = []

        def play(scheduled, plan, requests_):
            session = getattr(local, "session", None)
            if session is None:
                session = local.session = requests.Session()
                with self.lock:
                    sessions.append(session)
            records, start = [], scheduled
            for kind, url, make in requests_:
                body, headers = make()
                status = self._post(session, url, body, headers)
                end = time.perf_counter()
                records.append((start, end, kind, status))
                start = end
                if plan is not None:
                    plan.statuses.append(status)
            with self.lock:
                self.records.extend(records)
                if plan is not None:
                    plan.complete = all(s == 200 for s in plan.statuses)
                    self.plans.append(plan)

        t0 = time.perf_counter()
        cpu0 = time.process_time()
        self.window = (t0 + self.warmup, t0 + self.warmup + self.duration)
        with ThreadPoolExecutor(self.POOL) as pool:
            due = t0
            while due < self.window[1]:
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                plan, requests_ = next_unit()
                pool.submit(play, due, plan, requests_)
                # Units differ in length (a call has 2 to 4 events): the
                # next one starts when the requests sent so far match the rate.
                due += len(requests_) / self.rate
        for session in sessions:
            session.close()
        self.client_cpu = (time.process_time() - cpu0) / (time.perf_counter() - t0)
        return self

    def measured(self, kind=None):
        """Records that started inside the measurement window, answered or
        not by its end: a slow answer must count, not drop out."""
        lo, hi = self.window
        return [
            r
            for r in self.records
            if lo <= r[0] < hi and (kind is None or r[2] == kind)
        ]


def merged_figures(phases):
    """``Phase.figures`` of several phases of one route taken together."""
    rows = [r for phase in phases for r in phase.measured()]
    latencies = [(r[1] - r[0]) * 1000 for r in rows]
    return {
        "count": len(rows),
        "rate": len(rows) / sum(phase.duration for phase in phases),
        "p50": bc.percentile(latencies, 50),
        "p99": bc.percentile(latencies, 99),
        "errors": sum(1 for r in rows if r[3] != 200),
    }


def trivial_units(base_url):
    url = f"{base_url}/bench/trivial"
    body = json.dumps({"ping": "x" * 200}).encode()
    headers = {"Content-Type": "application/json"}

    def next_unit():
        return None, [("trivial", url, lambda: (body, headers))]

    return next_unit


def webhook_units(url, run, agents, known_partner_ids, seed, counter):
    def next_unit():
        plan = CallPlan(run, next(counter), agents, known_partner_ids, seed)
        return plan, [
            (
                event["type"],
                url,
                lambda event=event: bc.signed_request(bc.BENCH_SECRET, event),
            )
            for event in plan.events
        ]

    return next_unit


# ----------------------------------------------------------------------
# Verification
# ----------------------------------------------------------------------

CHECKED = (
    "state",
    "direction",
    "outcome",
    "customer_number",
    "partner_id",
    "user_id",
    "billsec",
    "duration",
)


def wait_for_queue(config, database, provider_id, timeout):
    """Seconds until the provider's queued events are all folded (None if
    they were not within ``timeout``)."""
    t0 = time.perf_counter()
    conn = config.connect(database)
    conn.autocommit = True
    try:
        with conn.cursor() as cr:
            while True:
                cr.execute(
                    "SELECT count(*) FROM crm_callcenter_event"
                    " WHERE provider_id = %s AND state = 'new'",
                    [provider_id],
                )
                pending = cr.fetchone()[0]
                waited = time.perf_counter() - t0
                if not pending:
                    return waited
                if waited > timeout:
                    bc.say(f"queue still holds {pending} events after {waited:.0f} s")
                    return None
                time.sleep(0.1)
    finally:
        conn.close()


def verify(config, database, provider_id, run, plans):
    """Every complete call exists once, with the right final state."""
    conn = config.connect(database)
    try:
        with conn.cursor() as cr:
            cr.execute(
                """
                SELECT column_name FROM information_schema.columns
                 WHERE table_name = 'crm_callcenter_call'
                """
            )
            columns = {row[0] for row in cr.fetchall()}
            checked = [c for c in CHECKED if c in columns]
            # NULL reads as 0 through the ORM for integers.
            select = ", ".join(
                f"COALESCE({c}, 0)" if c in ("billsec", "duration") else c
                for c in checked
            )
            cr.execute(
                f"""
                SELECT external_call_id, count(*) OVER (PARTITION BY external_call_id),
                       {select}
                  FROM crm_callcenter_call
                 WHERE provider_id = %s AND external_call_id LIKE %s
                """,
                [provider_id, f"bench-{run}-%"],
            )
            found = {}
            for row in cr.fetchall():
                found.setdefault(row[0], []).append(
                    dict(zip(["n", *checked], row[1:], strict=True))
                )
            cr.execute(
                """
                SELECT state, count(*) FROM crm_callcenter_event
                 WHERE provider_id = %s AND external_call_id LIKE %s GROUP BY state
                """,
                [provider_id, f"bench-{run}-%"],
            )
            event_states = dict(cr.fetchall())
    finally:
        conn.close()

    complete = [p for p in plans if p.complete]
    missing, duplicated, wrong = [], [], []
    for plan in complete:
        rows = found.get(plan.call_id, [])
        if not rows:
            missing.append(plan.call_id)
            continue
        if len(rows) > 1:
            duplicated.append(plan.call_id)
        row = rows[0]
        diffs = []
        for key in checked:
            want = plan.expected[key]
            if key == "user_id" and plan.expected["outcome"] != "answered":
                continue  # who owns an unanswered call is not fixed by the contract
            if key == "partner_id" and want is None:
                continue  # unknown caller: matching may create/link nothing
            if row[key] != want:
                diffs.append(f"{key}={row[key]!r} (want {want!r})")
        if diffs:
            wrong.append(f"{plan.call_id}: " + ", ".join(diffs))
    unknown = set(found) - {p.call_id for p in plans}
    return {
        "sent": len(plans),
        "complete": len(complete),
        "found_once": len(complete) - len(missing) - len(duplicated),
        "missing": missing,
        "duplicated": duplicated,
        "wrong": wrong,
        "unexpected": sorted(unknown),
        "event_states": event_states,
        "events_sent_ok": sum(1 for p in plans for s in p.statuses if s == 200),
        "checked": checked,
    }


# ----------------------------------------------------------------------
# Profile: queries per event type
# ----------------------------------------------------------------------

_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (\d+) (\w+) (\S+) (\S+): ")
_QUERY = re.compile(r"^\[([\d.]+) ms\] query: (.*)$", re.S)
_REQUEST = re.compile(r'"POST ([^ ]+) HTTP/[\d.]+" (\d+) - (\d+) ([\d.]+) ([\d.]+)')


def _normalize_sql(query):
    query = re.sub(r"\s+", " ", query).strip()
    query = re.sub(r'SAVEPOINT "[^"]+"', 'SAVEPOINT "?"', query)
    query = re.sub(r"'(?:[^']|'')*'", "?", query)
    query = re.sub(r"\b\d+(\.\d+)?\b", "?", query)
    query = re.sub(r"(\?, )+\?", "?..", query)
    return query


def parse_sql_log(path):
    """Requests of a debug_sql log: [(path, status, queries, [(ms, sql)], py_s)]."""
    records = []
    current = None
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            match = _LOG_LINE.match(line)
            if match:
                if current:
                    records.append(current)
                current = [match.group(1), match.group(4), line[match.end() :]]
            elif current:
                current[2] += line
    if current:
        records.append(current)
    per_pid = defaultdict(list)
    requests_ = []
    for pid, logger, message in records:
        if logger == "odoo.sql_db":
            q = _QUERY.match(message.strip())
            if q:
                per_pid[pid].append((float(q.group(1)), q.group(2)))
        elif logger == "werkzeug":
            r = _REQUEST.search(message)
            if r:
                queries = per_pid.pop(pid, [])
                requests_.append(
                    (
                        r.group(1),
                        int(r.group(2)),
                        int(r.group(3)),
                        queries,
                        float(r.group(4)),
                        float(r.group(5)),
                    )
                )
    return requests_


def _profile_pass(
    config, database, url_path, run, agents, known_partner_ids, calls, extra, tag
):
    """Sequential calls on a fresh server with ``extra`` logging; its log file."""
    counter = itertools.count()
    with bc.OdooServer(config, database, extra=extra) as server:
        server.warm_up("/bench/trivial")
        session = requests.Session()
        # Warm the workers (registry, caches) before what is recorded.
        for phase in ("warm", "prof"):
            n = 4 if phase == "warm" else calls
            for _ in range(n):
                plan = CallPlan(
                    f"{run}{tag}", next(counter), agents, known_partner_ids, 7
                )
                for event in plan.events:
                    kind = event["type"].split(".")[1]
                    body, headers = bc.signed_request(bc.BENCH_SECRET, event)
                    session.post(
                        f"{server.base_url}{url_path}?bench={phase}-{kind}",
                        data=body,
                        headers=headers,
                        timeout=30,
                    )
            for _ in range(n):
                session.post(
                    f"{server.base_url}/bench/trivial?bench={phase}-trivial",
                    data=b"{}",
                    headers={"Content-Type": "application/json"},
                    timeout=30,
                )
        time.sleep(1)
        logfile = server.logfile
    by_kind = defaultdict(list)
    for path, status, count, queries, sql_s, py_s in parse_sql_log(logfile):
        if "bench=prof-" in path:
            by_kind[path.rsplit("bench=prof-", 1)[1]].append(
                (status, count, queries, sql_s, py_s)
            )
    return by_kind


PROFILE_ORDER = ["trivial", "ringing", "answered", "ended", "updated"]


def run_profile(
    config, database, url_path, run, agents, known_partner_ids, calls, provider_id
):
    """Where a webhook request's time goes: per event type, SQL and Python
    (inline: the fold is in the request)."""
    bc.set_processing(config, database, provider_id, "inline")
    bc.say(f"profile 1/3: {calls} calls one at a time, request log with query counts")
    timing = _profile_pass(
        config,
        database,
        url_path,
        run,
        agents,
        known_partner_ids,
        calls,
        ["--log-handler", "werkzeug:INFO"],
        "t",
    )
    rows = []
    for kind in PROFILE_ORDER:
        items = timing.get(kind)
        if items:
            rows.append(
                [
                    kind,
                    len(items),
                    statistics.median(i[1] for i in items),
                    statistics.median(i[3] for i in items) * 1000,
                    statistics.median(i[4] for i in items) * 1000,
                    statistics.median((i[3] + i[4]) for i in items) * 1000,
                ]
            )
    bc.table(
        ["request", "n", "queries", "SQL ms", "other ms", "server ms"],
        rows,
        title="Profile: server-side cost per request, sequential (Odoo's request log "
        "perf info: query count, time in SQL, the rest), medians",
    )

    bc.say(f"profile 2/3: {calls} calls one at a time with every query logged")
    listing = _profile_pass(
        config,
        database,
        url_path,
        run,
        agents,
        known_partner_ids,
        calls,
        ["--log-handler", "odoo.sql_db:DEBUG", "--log-handler", "werkzeug:INFO"],
        "q",
    )
    for kind in PROFILE_ORDER:
        items = listing.get(kind)
        if not items:
            continue
        agg = defaultdict(lambda: [0, 0.0])
        for _status, _count, queries, _sql, _py in items:
            for ms, sql in queries:
                key = _normalize_sql(sql)
                agg[key][0] += 1
                agg[key][1] += ms
        n = len(items)
        total = sum(c for c, _ms in agg.values()) / n
        print(
            f"\nQueries of one {kind} request ({total:.1f} on average over {n}; "
            "ms inflated by the logging), most frequent first:"
        )
        print(f"{'per req':>7} {'ms/req':>7}  query")
        for sql, (count, ms) in sorted(
            agg.items(), key=lambda kv: (-kv[1][0], -kv[1][1])
        ):
            print(f"{count / n:7.2f} {ms / n:7.3f}  {sql[:170]}")

    bc.say("profile 3/3: cProfile of the event intake in-process (rolled back)")
    profile_in_process(
        config, database, provider_id, run, agents, known_partner_ids, calls
    )


def profile_in_process(
    config, database, provider_id, run, agents, known_partner_ids, calls
):
    """cProfile of crm.callcenter.event._receive for whole calls (no HTTP)."""
    import cProfile
    import pstats

    with bc.odoo_env(config, database, commit=False) as env:
        from odoo.http import root  # noqa: F401 (loads the controllers)

        # As the controller does it: the public user's environment, the
        # provider found with sudo().
        public = env.ref("base.public_user")
        provider = (
            env["crm.callcenter.provider"].with_user(public).sudo().browse(provider_id)
        )
        provider = provider.with_company(provider.company_id)
        adapter = provider._get_adapter()
        Event = (
            env["crm.callcenter.event"]
            .with_user(public)
            .with_company(provider.company_id)
        )
        counter = itertools.count()

        def play(n):
            events = 0
            for _ in range(n):
                plan = CallPlan(f"{run}c", next(counter), agents, known_partner_ids, 9)
                for event in plan.events:
                    body, headers = bc.signed_request(bc.BENCH_SECRET, event)
                    parsed = adapter.parse(body, headers)
                    env.invalidate_all()
                    Event._receive(
                        provider, headers["webhook-id"], body.decode(), parsed
                    )
                    env.flush_all()
                    events += 1
            return events

        play(3)
        profiler = cProfile.Profile()
        profiler.enable()
        started = time.perf_counter()
        events = play(calls)
        elapsed = time.perf_counter() - started
        profiler.disable()
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, func), (
        _cc,
        ncalls,
        tottime,
        cumtime,
        _callers,
    ) in stats.stats.items():
        if "crm_callcenter" in filename or func in (
            "_bus_send",
            "_sendone",
            "flush_all",
        ):
            short = filename.split("/addons/")[-1]
            rows.append(
                [
                    f"{short}:{line} {func}",
                    ncalls / events,
                    cumtime / events * 1000,
                    tottime / events * 1000,
                ]
            )
    rows.sort(key=lambda r: -r[2])
    bc.table(
        ["function (addon code)", "calls/event", "cum ms/event", "own ms/event"],
        [[r[0][:90], round(r[1], 2), r[2], r[3]] for r in rows[:25]],
        title=f"In-process profile of _receive: {events} events, "
        f"{elapsed / events * 1000:.1f} ms/event with cProfile on "
        "(flush included, no HTTP)",
    )
    own = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:15]
    bc.table(
        [
            "function (any code, by own time)",
            "calls/event",
            "own ms/event",
            "cum ms/event",
        ],
        [
            [
                f"{fn.split('/odoo19/')[-1].split('/addons/')[-1]}:{line} {func}"[:90],
                round(nc / events, 2),
                tt / events * 1000,
                ct / events * 1000,
            ]
            for (fn, line, func), (_cc, nc, tt, ct, _callers) in own
        ],
        title="Hot spots by own time",
    )


# ----------------------------------------------------------------------
# Setup and main
# ----------------------------------------------------------------------


def prepare(config, database, agents):
    """Benchmark provider, agents and known callers; returns what the run needs."""
    with bc.odoo_env(config, database) as env:
        provider, agent_rows = bc.ensure_bench_provider(env, agents)
        if "create_lead_unknown" in provider._fields:
            # Unknown callers stay unknown: the expected final state of a call
            # does not depend on what earlier calls created.
            provider.create_lead_unknown = False
        Partner = env["res.partner"].with_context(active_test=False)
        existing = Partner.search([("ref", "=like", "bench-caller-%")])
        by_ref = {p.ref: p for p in existing}
        vn = env.ref("base.vn")
        to_create = []
        for index in range(KNOWN_CALLERS):
            ref = f"bench-caller-{index:04d}"
            if ref not in by_ref:
                to_create.append(
                    {
                        "name": f"Bench Caller {index:04d}",
                        "ref": ref,
                        "country_id": vn.id,
                        # Mixed formats, as people type them.
                        "phone": pbx_format(
                            known_caller_number(index), (0, 1, 3, 4)[index % 4]
                        ),
                    }
                )
        if to_create:
            bc.say(f"creating {len(to_create)} known callers")
            for partner in Partner.create(to_create):
                by_ref[partner.ref] = partner
        known_ids = [by_ref[f"bench-caller-{i:04d}"].id for i in range(KNOWN_CALLERS)]
        return {
            "provider_id": provider.id,
            "token": provider.sudo().webhook_token,
            "agents": [(ext, user.id) for ext, user in agent_rows],
            "known_partner_ids": known_ids,
        }


def main(argv=None):
    parser = bc.arg_parser(__doc__)
    parser.add_argument(
        "--duration", type=float, default=15, help="measured seconds per phase (15)"
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=3,
        help="unmeasured seconds before each phase (3)",
    )
    parser.add_argument(
        "--concurrency", default="4,8,16", help="comma-separated client counts (4,8,16)"
    )
    parser.add_argument("--agents", type=int, default=20, help="agents/extensions (20)")
    parser.add_argument("--timeout", type=float, default=30, help="HTTP timeout (30 s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile",
        choices=["auto", "always", "never"],
        default="auto",
        help="list SQL per event type afterwards (auto: when the target is missed)",
    )
    parser.add_argument("--profile-calls", type=int, default=20)
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=600,
        help="longest wait for the queue to empty after a queued phase (600 s)",
    )
    parser.add_argument(
        "--processing",
        default="auto,inline,queued",
        help="provider event processing modes to measure, comma-separated "
        "(auto: the default, inline until a worker gets more than 20 events/s, "
        "queued beyond; inline: folded in the webhook request; queued: stored "
        "and answered, folded by the cron worker; default all three)",
    )
    parser.add_argument(
        "--rates",
        default="",
        help="open-loop phases after the closed-loop ones: comma-separated "
        "requests/s sent on a fixed schedule whatever the server answers, "
        "to the baseline and to the webhook (e.g. 40,80; default none)",
    )
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    try:
        rates = [float(r) for r in args.rates.split(",") if r.strip()]
    except ValueError:
        rates = [0]
    if any(not 0 < rate < float("inf") for rate in rates):
        parser.error("--rates takes positive requests per second, e.g. 40,80")
    modes = [m.strip() for m in args.processing.split(",") if m.strip()]
    if not modes or not set(modes) <= set(MODES):
        parser.error("--processing takes auto, inline and/or queued")

    config = bc.BenchConfig.from_args(args)
    database = config.database
    config.ensure_database(
        database, ["crm_callcenter", "bench_trivial"], update=not args.no_update
    )
    setup = prepare(config, database, args.agents)
    run = uuid.uuid4().hex[:8]
    url_path = f"/callcenter/webhook/{setup['token']}"
    print(f"webhook_load run {run} on database {database}")
    print(bc.machine_note())

    counter = itertools.count()
    phases = []
    # Odoo's default of two cron workers: queued events are folded there.
    with bc.OdooServer(config, database, cron_threads=2) as server:
        server.warm_up("/bench/trivial")

        def run_phases(make_phase, describe, baseline_after):
            """The trivial route, each processing mode, and (for a ratio)
            the trivial route again."""
            plan = [("trivial", None, trivial_units(server.base_url))]
            for mode in modes:
                units = webhook_units(
                    server.base_url + url_path,
                    run,
                    setup["agents"],
                    setup["known_partner_ids"],
                    args.seed,
                    counter,
                )
                plan.append(("webhook", mode, units))
            if baseline_after:
                plan.append(("trivial", "after", trivial_units(server.base_url)))
            for name, mode, units in plan:
                label = f"{name} ({mode})" if mode else name
                bc.say(
                    f"{label} {describe}: {args.warmup:g} s warm-up"
                    f" + {args.duration:g} s"
                )
                if name == "webhook":
                    bc.set_processing(config, database, setup["provider_id"], mode)
                phase = make_phase(
                    name,
                    warmup=args.warmup,
                    duration=args.duration,
                    timeout=args.timeout,
                )
                phase.mode = mode
                phases.append(phase.run(units))
                if mode in QUEUEING_MODES:
                    phase.drain = wait_for_queue(
                        config, database, setup["provider_id"], args.drain_timeout
                    )

        for level in levels:
            # The baseline again after the webhook phases: the host's speed
            # drifts over minutes, and the ratio divides by the two together.
            run_phases(
                functools.partial(Phase, concurrency=level),
                f"at concurrency {level}",
                baseline_after=True,
            )
        for rate in rates:
            run_phases(
                functools.partial(OpenPhase, rate=rate),
                f"open loop at {rate:g} requests/s",
                baseline_after=False,
            )
        bc.set_processing(config, database, setup["provider_id"], "auto")
        server_errors = [
            line for line in server.tail(200_000).splitlines() if " ERROR " in line
        ]
        retries = server.concurrency_retries()

    # Figures
    rows = []
    ratio_at = {}
    p99_at = {}
    drift = []
    for level in levels:
        trivials = [p for p in phases if p.name == "trivial" and p.concurrency == level]
        t = merged_figures(trivials)
        drift.append(
            f"c={level} " + " / ".join(f"{p.figures()['rate']:.1f}" for p in trivials)
        )
        for ours in (
            p for p in phases if p.name == "webhook" and p.concurrency == level
        ):
            o = ours.figures()
            ratio = o["rate"] / t["rate"] if t["rate"] else float("nan")
            ratio_at[(level, ours.mode)] = ratio
            p99_at[(level, ours.mode)] = o["p99"]
            folded = o["rate"]
            drain = ""
            if ours.mode in QUEUEING_MODES:
                # End to end: every event accepted in the phase (warm-up
                # included) over the time until the last one was folded.
                accepted = sum(1 for r in ours.records if r[3] == 200)
                wall = ours.warmup + ours.duration + (ours.drain or float("inf"))
                folded = accepted / wall
                drain = "-" if ours.drain is None else round(ours.drain, 1)
            rows.append(
                [
                    level,
                    round(t["rate"], 1),
                    t["p50"],
                    t["p99"],
                    ours.mode,
                    round(o["rate"], 1),
                    o["p50"],
                    o["p99"],
                    f"{ratio:.2f}",
                    drain,
                    round(folded, 1),
                    o["errors"] + t["errors"],
                ]
            )
    bc.table(
        [
            "conc",
            "trivial req/s",
            "p50 ms",
            "p99 ms",
            "processing",
            "webhook ev/s",
            "p50 ms",
            "p99 ms",
            "ratio",
            "drain s",
            "folded ev/s",
            "errors",
        ],
        rows,
        title=f"Throughput and latency ({args.duration:g} s per phase, "
        "odoo --workers=2, 2 cron workers)",
    )
    print(
        "webhook ev/s: events answered per second; folded ev/s: events folded "
        "into calls per second end to end (queued: accepted events over the "
        "phase plus the time the cron worker took to empty the queue after it)."
    )
    print(
        "trivial: both of its phases together, before and after the webhook "
        "phases (req/s before / after: " + ", ".join(drift) + ")"
    )

    if rates:
        orows = []
        for phase in (p for p in phases if isinstance(p, OpenPhase)):
            f = phase.figures()
            latencies = [(r[1] - r[0]) * 1000 for r in phase.measured()]
            orows.append(
                [
                    f"{phase.rate:g}",
                    phase.name,
                    phase.mode or "",
                    round(f["rate"], 1),
                    f["p50"],
                    f["p99"],
                    max(latencies, default=float("nan")),
                    f["errors"],
                ]
            )
        bc.table(
            [
                "rate/s",
                "route",
                "processing",
                "sent/s",
                "p50 ms",
                "p99 ms",
                "max ms",
                "errors",
            ],
            orows,
            title="Open loop: requests sent on a fixed schedule "
            f"({args.duration:g} s per phase)",
        )
        print(
            "Latency counts from each call's scheduled start: a server that "
            "falls behind shows here instead of slowing the load down."
        )

    kinds = ["call.ringing", "call.answered", "call.ended", "call.updated"]
    krows = []
    for ours in (p for p in phases if p.name == "webhook"):
        for kind in kinds:
            f = ours.figures(kind)
            if f["count"]:
                krows.append(
                    [ours.load, ours.mode, kind, f["count"], f["p50"], f["p99"]]
                )
    bc.table(
        ["load", "processing", "event", "n", "p50 ms", "p99 ms"],
        krows,
        title="Webhook latency by event type",
    )

    print(
        "load generator CPU (share of one core): "
        + ", ".join(
            f"{p.name}{'-' + p.mode if p.mode else ''}@{p.load} {p.client_cpu:.0%}"
            for p in phases
        )
    )
    print(bc.machine_note("end of the load phases"))
    print(
        f"transactions retried after a concurrency error: {retries['retries']} "
        f"{retries['errors'] or ''} (workers slept {retries['slept']:.1f} s in total "
        f"before retrying), given up: {retries['failed']}"
    )
    for phase in phases:
        errors = phase.error_summary()
        if errors:
            print(f"errors in {phase.name}@{phase.load}: {dict(errors)}")
    if server_errors:
        print(f"\nserver log: {len(server_errors)} ERROR line(s), first ones:")
        for line in server_errors[:5]:
            print("  " + line[:300])

    # Verification
    plans = [plan for p in phases for plan in p.plans]
    result = verify(config, database, setup["provider_id"], run, plans)
    bc.table(
        [
            "calls sent",
            "all events 200",
            "found exactly once",
            "right final state",
            "missing",
            "duplicated",
            "wrong",
        ],
        [
            [
                result["sent"],
                result["complete"],
                result["found_once"],
                result["complete"] - len(result["missing"]) - len(result["wrong"]),
                len(result["missing"]),
                len(result["duplicated"]),
                len(result["wrong"]),
            ]
        ],
        title="Verification (checked: " + ", ".join(result["checked"]) + ")",
    )
    print(
        f"events answered 200: {result['events_sent_ok']}; stored events by state: "
        f"{result['event_states']}"
    )
    for label in ("missing", "duplicated", "wrong", "unexpected"):
        for item in result[label][:5]:
            print(f"  {label}: {item}")
    verified = (
        result["complete"] == result["sent"]
        and not result["missing"]
        and not result["duplicated"]
        and not result["wrong"]
        and set(result["event_states"]) <= {"done"}
    )

    # Target
    ok = False
    if not any(level == TARGET_CONCURRENCY for level, _mode in ratio_at):
        print(f"\nTarget needs concurrency {TARGET_CONCURRENCY} in --concurrency.")
    for (level, mode), ratio in ratio_at.items():
        if level != TARGET_CONCURRENCY:
            continue
        p99 = p99_at[(level, mode)]
        met = ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS
        ok = ok or met
        print(
            f"\nTarget ({mode}{', the default' if mode == 'auto' else ''}): "
            f"ratio >= {TARGET_RATIO} and p99 <= "
            f"{TARGET_P99_MS:g} ms at concurrency {TARGET_CONCURRENCY}: "
            f"ratio {ratio:.2f}, p99 {p99:.1f} ms -> {bc.verdict(met)}"
        )
    print(
        f"Correctness: every call once with its final state -> {bc.verdict(verified)}"
    )

    if args.profile == "always" or (args.profile == "auto" and not ok):
        run_profile(
            config,
            database,
            url_path,
            run,
            setup["agents"],
            setup["known_partner_ids"],
            args.profile_calls,
            setup["provider_id"],
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
