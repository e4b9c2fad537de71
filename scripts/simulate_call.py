#!/usr/bin/env python3
"""Play a call against a running Odoo through the generic signed webhook.

Example (the demo provider's URL is printed by scripts/run.sh)::

    python3 scripts/simulate_call.py --url http://127.0.0.1:8069/callcenter/webhook/T
    python3 scripts/simulate_call.py --url ... --scenario missed --from "0987 654 321"

Each request is signed like a real contact center signs it (Standard
Webhooks), so what works here works from a real center.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

import requests

# The demo provider's published secret (demo data only; regenerate it on any
# database that matters).
DEMO_SECRET = "whsec_ZGVtby1vbmx5LXNlY3JldC1jaGFuZ2UtaXQtbm93ISE="


def sign(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(digest.digest()).decode()


def scenario_events(scenario, call_id, number, agent, did):
    start = datetime.now(timezone.utc).replace(microsecond=0)
    data = {"call_id": call_id, "direction": "inbound", "from": number, "to": did}
    ringing = {"type": "call.ringing", "at": start, "data": {**data, "agent": agent}}
    if scenario == "missed":
        return [
            ringing,
            {
                "type": "call.ended",
                "at": start + timedelta(seconds=25),
                "data": {**data, "hangup_cause": "ORIGINATOR_CANCEL"},
            },
        ]
    return [
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


def post(url, secret, event, timeout):
    body = json.dumps(
        {
            "type": event["type"],
            "timestamp": event["at"].isoformat(),
            "data": event["data"],
        }
    ).encode()
    msg_id = f"msg_{uuid.uuid4().hex}"
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
        "--scenario", choices=["answered", "missed"], default="answered"
    )
    parser.add_argument(
        "--from", dest="number", default="0901234567", help="caller number"
    )
    parser.add_argument("--agent", default="101", help="agent extension")
    parser.add_argument("--did", default="+842838123456", help="number that was called")
    parser.add_argument("--call-id", default=None)
    parser.add_argument(
        "--delay", type=float, default=1.0, help="seconds between events"
    )
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)

    call_id = args.call_id or f"sim-{uuid.uuid4().hex[:12]}"
    events = scenario_events(args.scenario, call_id, args.number, args.agent, args.did)
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
