#!/usr/bin/env python3
"""Play a call against a running Odoo through the generic signed webhook.

Example (the demo provider's URL is printed by scripts/run.sh)::

    python3 scripts/simulate_call.py --url http://127.0.0.1:8069/callcenter/webhook/T
    python3 scripts/simulate_call.py --url ... --scenario missed --from "0987 654 321"
    python3 scripts/simulate_call.py --url ... --scenario callback --from "0987 654 321"

With ``--serve-originate PORT`` it plays the center's side of click-to-call
instead: it answers Odoo's signed originate requests on
``http://127.0.0.1:PORT/originate`` (the provider's Originate URL) and
reports each call it places to ``--url``::

    python3 scripts/simulate_call.py --url ... --serve-originate 8070

With ``--serve-dialer PORT`` it plays the center's dialer of telesales push
mode: it accepts Odoo's signed task batches on
``http://127.0.0.1:PORT/tasks`` (the provider's Dialer URL), then calls each
task and reports the call to ``--url`` with the task id as campaign::

    python3 scripts/simulate_call.py --url ... --serve-dialer 8071 \
        --dialer-outcome mixed

Each request is signed like a real contact center signs it (Standard
Webhooks), so what works here works from a real center.
"""

import argparse
import base64
import hashlib
import hmac
import json
import random
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

# The demo provider's published secret (demo data only; regenerate it on any
# database that matters).
DEMO_SECRET = "whsec_ZGVtby1vbmx5LXNlY3JldC1jaGFuZ2UtaXQtbm93ISE="


def sign(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(digest.digest()).decode()


def verify(secret, headers, body, tolerance=300):
    """Whether Odoo signed ``body`` (Standard Webhooks, as for webhooks)."""
    msg_id = headers.get("webhook-id") or ""
    timestamp = headers.get("webhook-timestamp") or ""
    if not msg_id or not timestamp.isdigit():
        return False
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, msg_id, timestamp, body)
    return any(
        hmac.compare_digest(candidate, expected)
        for candidate in (headers.get("webhook-signature") or "").split()
    )


SCENARIOS = {
    "answered": "an agent answers after 8 s, talks 60 s",
    "missed": "the caller hangs up while it rings",
    "ivr-missed": "the IVR answers, the caller hangs up before reaching an agent",
    "unknown": "answered call from a number nobody knows (random unless --from)",
    "duplicate": "answered call, every event delivered twice",
    "out-of-order": "answered call, events delivered end first",
    "callback": "the agent calls the number back and the customer answers",
    "hidden": "a caller who withheld the number (anonymous unless --from) hangs "
    "up while it rings: missed, nobody to call back",
    "transfer": "the agent answers after 8 s and transfers the caller to "
    "--transfer-to after 30 s, who talks until 90 s",
}


def scenario_events(scenario, call_id, number, agent, did, transfer_to="102"):
    """The generic events of one scenario, in the order they are sent."""
    start = datetime.now(timezone.utc).replace(microsecond=0)
    direction = "outbound" if scenario == "callback" else "inbound"
    if direction == "inbound":
        data = {"call_id": call_id, "direction": direction, "from": number, "to": did}
    else:
        data = {"call_id": call_id, "direction": direction, "from": agent, "to": number}
    ringing = {"type": "call.ringing", "at": start, "data": {**data, "agent": agent}}
    if scenario in ("missed", "hidden"):
        return [
            ringing,
            {
                "type": "call.ended",
                "at": start + timedelta(seconds=25),
                "data": {**data, "hangup_cause": "ORIGINATOR_CANCEL"},
            },
        ]
    if scenario == "ivr-missed":
        # The PBX's IVR picked up (the call has a talk time for the carrier)
        # but no agent did: the provider reports it missed.
        return [
            {"type": "call.ringing", "at": start, "data": {**data, "queue": "ivr"}},
            {
                "type": "call.ended",
                "at": start + timedelta(seconds=40),
                "data": {
                    **data,
                    "queue": "ivr",
                    "outcome": "missed",
                    "duration": 40,
                    "hangup_cause": "NORMAL_CLEARING",
                },
            },
        ]
    events = [
        ringing,
        {
            "type": "call.answered",
            "at": start + timedelta(seconds=8),
            "data": {**data, "agent": agent},
        },
        {
            "type": "call.ended",
            "at": start + timedelta(seconds=68),
            "data": {**data, "agent": agent, "hangup_cause": "NORMAL_CLEARING"},
        },
    ]
    if scenario == "transfer":
        # The center reports the second agent's answer on the same call.
        taken = {**data, "agent": transfer_to}
        return [
            *events[:2],
            {
                "type": "call.answered",
                "at": start + timedelta(seconds=30),
                "data": taken,
            },
            {
                "type": "call.ended",
                "at": start + timedelta(seconds=90),
                "data": {**taken, "hangup_cause": "NORMAL_CLEARING"},
            },
        ]
    if scenario == "duplicate":
        return [event for event in events for _copy in (1, 2)]
    if scenario == "out-of-order":
        return list(reversed(events))
    return events


def survey_event(events, score):
    """The ``call.updated`` a center sends after its post-call survey: the
    caller's ``score`` (1-5), 20 s after the call's last event."""
    data = events[0]["data"]
    return {
        "type": "call.updated",
        "at": max(event["at"] for event in events) + timedelta(seconds=20),
        "data": {
            **{key: data[key] for key in ("call_id", "direction", "from", "to")},
            "satisfaction": score,
        },
    }


ORIGINATE_OUTCOMES = {
    "answered": "the customer answers after 6 s, they talk 60 s",
    "no_answer": "the customer does not answer within 30 s",
    "busy": "the customer's line is busy",
    "refused": "the center refuses the request (agent offline)",
}


def originate_events(outcome, call_id, agent, number, correlation_id):
    """The events of a call placed by click-to-call: the center rings the
    agent's extension, then dials the customer."""
    start = datetime.now(timezone.utc).replace(microsecond=0)
    data = {
        "call_id": call_id,
        "direction": "outbound",
        "from": agent,
        "to": number,
        "agent": agent,
        "correlation_id": correlation_id,
    }
    ringing = {"type": "call.ringing", "at": start, "data": data}
    if outcome == "answered":
        return [
            ringing,
            {"type": "call.answered", "at": start + timedelta(seconds=6), "data": data},
            {
                "type": "call.ended",
                "at": start + timedelta(seconds=66),
                "data": {**data, "hangup_cause": "NORMAL_CLEARING"},
            },
        ]
    cause, end = {"no_answer": ("NO_ANSWER", 30), "busy": ("USER_BUSY", 4)}[outcome]
    return [
        ringing,
        {
            "type": "call.ended",
            "at": start + timedelta(seconds=end),
            "data": {**data, "outcome": outcome, "hangup_cause": cause},
        },
    ]


class OriginateHandler(BaseHTTPRequestHandler):
    """The center's click-to-call endpoint (settings on ``self.server``)."""

    def _answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not verify(server.secret, self.headers, body):
            self._answer(401, {"error": "invalid signature"})
            return
        try:
            doc = json.loads(body)
            agent, number = doc["agent"], doc["number"]
            correlation_id = doc["correlation_id"]
        except (ValueError, TypeError, KeyError):
            self._answer(400, {"error": "agent, number and correlation_id required"})
            return
        server.received.append(doc)
        server.log(f"originate {agent} -> {number} ({correlation_id})")
        if server.outcome == "refused":
            self._answer(409, {"error": f"Agent {agent} is offline"})
            return
        call_id = f"sim-out-{uuid.uuid4().hex[:12]}"
        events = originate_events(
            server.outcome, call_id, agent, number, correlation_id
        )
        # A PBX rings the agent before it answers the request: Odoo gets the
        # first event while it still waits for this answer.
        server.play(events[:1])
        self._answer(200, {"call_id": call_id} if server.give_call_id else {})
        threading.Thread(target=server.play, args=(events[1:],), daemon=True).start()

    def log_message(self, *args):
        """Quiet: the simulator prints its own lines."""


def make_originate_server(
    url, secret, port, host="127.0.0.1", outcome="answered", delay=1.0,
    timeout=10.0, give_call_id=True, log=print,
):  # fmt: skip
    """An HTTP server playing the center's side of click-to-call; call its
    ``serve_forever()``. ``received`` lists the requests it accepted,
    ``played`` the events it sent with Odoo's answer."""
    server = ThreadingHTTPServer((host, port), OriginateHandler)
    server.secret = secret
    server.outcome = outcome
    server.give_call_id = give_call_id
    server.log = log
    server.received = []
    server.played = []

    def play(events):
        for index, event in enumerate(events):
            if index:
                time.sleep(delay)
            response = post(url, secret, event, timeout)
            server.played.append((event, response.status_code))
            call_id = event["data"]["call_id"]
            log(f"{event['type']:<14} {call_id} -> HTTP {response.status_code}")

    server.play = play
    return server


DIALER_OUTCOMES = {
    "answered": "every customer answers and talks 30 s with the agent",
    "no_answer": "nobody answers",
    "busy": "every line is busy",
    "mixed": "answered, no answer and busy in turn",
}


def dialer_events(outcome, task, agent):
    """The events of one call the center's dialer placed for a task."""
    start = datetime.now(timezone.utc).replace(microsecond=0)
    agent = task.get("agent") or agent
    data = {
        "call_id": f"sim-dial-{uuid.uuid4().hex[:12]}",
        "direction": "outbound",
        "from": agent,
        "to": task["number"],
        "campaign": task["task_id"],
    }
    ringing = {"type": "call.ringing", "at": start, "data": data}
    if outcome == "answered":
        connected = {**data, "agent": agent}
        return [
            ringing,
            {
                "type": "call.answered",
                "at": start + timedelta(seconds=5),
                "data": connected,
            },
            {
                "type": "call.ended",
                "at": start + timedelta(seconds=35),
                "data": {**connected, "hangup_cause": "NORMAL_CLEARING"},
            },
        ]
    cause, end = {"no_answer": ("NO_ANSWER", 30), "busy": ("USER_BUSY", 4)}[outcome]
    return [
        ringing,
        {
            "type": "call.ended",
            "at": start + timedelta(seconds=end),
            "data": {**data, "outcome": outcome, "hangup_cause": cause},
        },
    ]


class DialerHandler(OriginateHandler):
    """The center's dialer: takes task batches, then calls them one by one."""

    def do_POST(self):
        server = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not verify(server.secret, self.headers, body):
            self._answer(401, {"error": "invalid signature"})
            return
        try:
            doc = json.loads(body)
            tasks = doc["tasks"]
            campaign = doc["campaign"]["ref"]
            if not isinstance(tasks, list):
                raise TypeError("tasks")
        except (ValueError, TypeError, KeyError):
            self._answer(400, {"error": "campaign.ref and a tasks list required"})
            return
        accepted, rejected, to_call = [], [], []
        for task in tasks:
            task_id = task.get("task_id") if isinstance(task, dict) else None
            number = task.get("number") if task_id else None
            if not task_id:
                continue
            if not isinstance(number, str) or not number.startswith("+"):
                rejected.append({"task_id": task_id, "error": "invalid number"})
            elif task_id in server.tasks:
                accepted.append(task_id)  # a resent batch: already queued
            else:
                server.tasks.add(task_id)
                accepted.append(task_id)
                to_call.append(task)
        server.log(
            f"tasks of {campaign}: {len(accepted)} accepted, {len(rejected)} rejected"
        )
        self._answer(200, {"accepted": accepted, "rejected": rejected})
        if not server.autodial:
            server.queued.extend(to_call)
        elif to_call:
            threading.Thread(target=server.dial, args=(to_call,), daemon=True).start()


def make_dialer_server(
    url, secret, port, host="127.0.0.1", outcome="mixed", agent="101",
    delay=1.0, timeout=10.0, log=print, autodial=True,
):  # fmt: skip
    """An HTTP server playing the center's dialer of telesales push mode;
    call its ``serve_forever()``. ``tasks`` holds the task ids it took,
    ``played`` the events it sent with Odoo's answer. Without ``autodial``
    the tasks wait in ``queued`` until ``dial_queued()`` is called."""
    server = ThreadingHTTPServer((host, port), DialerHandler)
    server.secret = secret
    server.log = log
    server.tasks = set()
    server.played = []
    lock = threading.Lock()
    cycle = ["answered", "no_answer", "busy"]

    def dial(tasks):
        # One line: the calls of a batch follow each other.
        with lock:
            for index, task in enumerate(tasks):
                result = cycle[index % 3] if outcome == "mixed" else outcome
                for event in dialer_events(result, task, agent):
                    time.sleep(delay)
                    response = post(url, secret, event, timeout)
                    server.played.append((event, response.status_code))
                    log(
                        f"{event['type']:<14} {task['task_id']} {task['number']}"
                        f" -> HTTP {response.status_code}"
                    )

    def dial_queued():
        tasks, server.queued[:] = list(server.queued), []
        dial(tasks)

    server.autodial = autodial
    server.queued = []
    server.dial = dial
    server.dial_queued = dial_queued
    return server


def post(url, secret, event, timeout):
    body = (
        event.get("body")
        or json.dumps(
            {
                "type": event["type"],
                "timestamp": event["at"].isoformat(),
                "data": event["data"],
            }
        ).encode()
    )
    # A redelivery keeps the message id of the first delivery.
    msg_id = event.setdefault("msg_id", f"msg_{uuid.uuid4().hex}")
    event["body"] = body
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
    return requests.post(url, data=body, headers=headers, timeout=timeout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the provider's webhook URL")
    parser.add_argument(
        "--secret", default=DEMO_SECRET, help="whsec_... signing secret"
    )
    parser.add_argument(
        "--scenario",
        choices=list(SCENARIOS),
        default="answered",
        help="; ".join(f"{name}: {text}" for name, text in SCENARIOS.items()),
    )
    parser.add_argument(
        "--from",
        dest="number",
        default=None,
        help="customer number (default 0901234567, the demo customer)",
    )
    parser.add_argument("--agent", default="101", help="agent extension")
    parser.add_argument(
        "--transfer-to",
        default="102",
        help="extension the transfer scenario passes the caller to",
    )
    parser.add_argument("--did", default="+842838123456", help="number that was called")
    parser.add_argument(
        "--satisfaction",
        type=int,
        choices=range(1, 6),
        metavar="1-5",
        help="after the call, the caller's score in the post-call survey "
        "(scenarios where an agent answers)",
    )
    parser.add_argument("--call-id", default=None)
    parser.add_argument(
        "--delay", type=float, default=1.0, help="seconds between events"
    )
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument(
        "--serve-originate",
        type=int,
        metavar="PORT",
        help="play the center's side of click-to-call: answer originate "
        "requests on http://127.0.0.1:PORT/originate",
    )
    parser.add_argument(
        "--originate-outcome",
        choices=list(ORIGINATE_OUTCOMES),
        default="answered",
        help="; ".join(f"{name}: {text}" for name, text in ORIGINATE_OUTCOMES.items()),
    )
    parser.add_argument(
        "--serve-dialer",
        type=int,
        metavar="PORT",
        help="play the center's dialer of telesales push mode: take task "
        "batches on http://127.0.0.1:PORT/tasks and call them",
    )
    parser.add_argument(
        "--dialer-outcome",
        choices=list(DIALER_OUTCOMES),
        default="mixed",
        help="; ".join(f"{name}: {text}" for name, text in DIALER_OUTCOMES.items()),
    )
    args = parser.parse_args(argv)

    if args.serve_dialer:
        server = make_dialer_server(
            args.url,
            args.secret,
            args.serve_dialer,
            outcome=args.dialer_outcome,
            agent=args.agent,
            delay=args.delay,
            timeout=args.timeout,
        )
        print(f"Dialer URL: http://127.0.0.1:{server.server_port}/tasks")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        return 0

    if args.serve_originate:
        server = make_originate_server(
            args.url,
            args.secret,
            args.serve_originate,
            outcome=args.originate_outcome,
            delay=args.delay,
            timeout=args.timeout,
        )
        print(f"Originate URL: http://127.0.0.1:{server.server_port}/originate")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
        return 0

    call_id = args.call_id or f"sim-{uuid.uuid4().hex[:12]}"
    if args.number is None:
        args.number = {
            "unknown": f"09{random.randrange(10**8):08d}",
            "hidden": "anonymous",
        }.get(args.scenario, "0901234567")
    events = scenario_events(
        args.scenario, call_id, args.number, args.agent, args.did, args.transfer_to
    )
    if args.satisfaction:
        if not any(event["type"] == "call.answered" for event in events):
            parser.error(f"nobody answers in --scenario {args.scenario}: no survey")
        events.append(survey_event(events, args.satisfaction))
    for index, event in enumerate(events):
        if index:
            time.sleep(args.delay)
        response = post(args.url, args.secret, event, args.timeout)
        status = response.status_code
        print(f"{event['type']:<14} {call_id} -> HTTP {status} {response.text}")
        if response.status_code != 200:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
