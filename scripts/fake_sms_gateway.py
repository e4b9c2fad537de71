#!/usr/bin/env python3
"""A local SMS gateway for the demo: what Odoo would send, printed.

The demo's *Local HTTP gateway (demo)* (crm_callcenter_sms) posts to
``http://127.0.0.1:9099/sms/send``; this answers in its format::

    {"data": {"id": "<uuid>", "price": "0.05", "parts": 1}}

so the message log shows the message as sent, with its cost and parts.
With ``--report-url`` (the gateway's *Delivery Report URL*) and
``--secret`` (its *Delivery Report Secret*) it also reports each message
delivered a few seconds later, signed like a real gateway (Standard
Webhooks)::

    python3 scripts/fake_sms_gateway.py
    python3 scripts/fake_sms_gateway.py \
        --report-url http://127.0.0.1:8069/crm_callcenter_sms/webhook/T \
        --secret whsec_...
"""

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


def sign(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(digest.digest()).decode()


def parts(text):
    """SMS parts of ``text``: 160/153 GSM characters, 70/67 otherwise."""
    single, multi = (160, 153) if text.isascii() else (70, 67)
    return 1 if len(text) <= single else -(-len(text) // multi)


def report(args, message_id, number):
    time.sleep(args.report_delay)
    body = json.dumps(
        {
            "type": "sms.delivered",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "data": {"id": message_id, "to": number, "status": "delivered"},
        }
    ).encode()
    msg_id, timestamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(args.secret, msg_id, timestamp, body),
    }
    try:
        response = requests.post(
            args.report_url, data=body, headers=headers, timeout=10
        )
    except requests.RequestException as exc:
        print(f"  delivery report of {message_id} failed: {exc}", flush=True)
        return
    print(f"  delivery report of {message_id}: HTTP {response.status_code}", flush=True)


def make_handler(args):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self.answer(400, {"error": {"message": "body is not JSON"}})
            number, text = payload.get("to"), payload.get("text") or ""
            if not number:
                return self.answer(400, {"error": {"message": "no 'to' number"}})
            message_id = str(uuid.uuid4())
            count = parts(text)
            price = f"{args.price * count:.2f}"
            print(
                f"SMS {message_id} to {number} ({count} part(s), {price}):", flush=True
            )
            print(f"  {text}", flush=True)
            if args.report_url and args.secret:
                threading.Thread(
                    target=report, args=(args, message_id, number), daemon=True
                ).start()
            return self.answer(
                201, {"data": {"id": message_id, "price": price, "parts": count}}
            )

        def answer(self, status, data):
            body = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # pylint: disable=redefined-builtin
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=9099)
    parser.add_argument("--price", type=float, default=0.05, help="cost of one part")
    parser.add_argument("--report-url", help="the gateway's Delivery Report URL")
    parser.add_argument("--secret", help="the gateway's Delivery Report Secret")
    parser.add_argument("--report-delay", type=float, default=3.0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args))
    print(f"SMS gateway on http://127.0.0.1:{args.port}/sms/send", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
