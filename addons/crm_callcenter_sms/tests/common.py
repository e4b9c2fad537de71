"""Gateways faked at the HTTP boundary with their real wire formats."""

import http.server
import json
import threading
from urllib.parse import parse_qs

import responses

from odoo.addons.crm_callcenter.tests.common import FakedApiMixin
from odoo.tests.common import TransactionCase

SMSC_SEND = "https://smsc.ru/sys/send.php"
SMSC_STATUS = "https://smsc.ru/sys/status.php"
HTTP_SEND = "https://sms.example.com/api/v1/messages"
HTTP_SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
HTTP_TEMPLATE = json.dumps(
    {
        "messages": [{"to": "{{number}}", "text": "{{body}}", "from": "{{sender}}"}],
        "client_ref": "{{reference}}",
    }
)


class GatewayMock(responses.RequestsMock):
    """``responses`` mock whose ``calls`` stay readable after the block."""

    def reset(self):
        kept = list(self._calls) if hasattr(self, "_calls") else []
        result = super().reset()
        for call in kept:
            self._calls.add_call(call)
        return result


def form(request):
    """Decoded form body of a faked request: ``{name: value}``."""
    return {k: v[0] for k, v in parse_qs(request.body).items()}


class SmsGatewayMixin(FakedApiMixin):
    faked_api_hosts = ("smsc.ru", "sms.example.com")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.rub = cls.env.ref("base.RUB")
        cls.rub.active = True
        Gateway = cls.env["crm.callcenter.sms.gateway"]
        cls.smsc = Gateway.create(
            {
                "name": "SMSC",
                "gateway_type": "smsc",
                "smsc_login": "acme",
                "smsc_password": "s3cr3t",
                "sender": "ACME",
                "currency_id": cls.rub.id,
            }
        )
        cls.http = Gateway.create(
            {
                "name": "HTTP",
                "gateway_type": "http",
                "http_url": HTTP_SEND,
                "http_auth_header": "Authorization",
                "http_auth_value": "Bearer tok-123",
                "http_body_template": HTTP_TEMPLATE,
                "http_id_path": "data.id",
                "http_error_path": "error.message",
                "http_cost_path": "data.price",
                "http_parts_path": "data.segments",
                "http_webhook_secret": HTTP_SECRET,
                "sender": "ACME",
                "currency_id": cls.env.ref("base.USD").id,
            }
        )
        cls.use_gateways(cls.smsc, cls.http)

    @classmethod
    def use_gateways(cls, primary, backup=None):
        cls.company.write(
            {
                "sms_provider": "crm_callcenter",
                "crm_callcenter_sms_gateway_id": primary.id,
                "crm_callcenter_sms_backup_gateway_id": backup.id if backup else False,
            }
        )

    def logs(self, **domain):
        return self.env["crm.callcenter.sms.log"].search(
            [(k, "=", v) for k, v in domain.items()], order="id"
        )

    @staticmethod
    def smsc_ok(rsps, msg_id=97, cnt=1, cost="2.40"):
        rsps.add(
            responses.POST,
            SMSC_SEND,
            json={"id": msg_id, "cnt": cnt, "cost": cost, "balance": "1034.56"},
        )

    @staticmethod
    def http_ok(rsps, msg_id="42", price="0.05", segments=1):
        rsps.add(
            responses.POST,
            HTTP_SEND,
            json={"data": {"id": msg_id, "price": price, "segments": segments}},
            status=201,
        )


class SmsGatewayCase(SmsGatewayMixin, TransactionCase):
    pass


class LocalHttpGateway:
    """A generic HTTP SMS gateway on 127.0.0.1, for tests driving a browser.

    A tour's requests are handled by the test's own server threads, where
    ``responses`` is not in effect: the gateway is then a real server
    answering ``{"data": {"id", "price", "parts"}}`` (the demo gateway's
    paths) and recording each request as ``(path, headers, json body)``.
    """

    def __init__(self, price="0.07", parts=1):
        self.requests = []
        self.price = price
        self.parts = parts
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                gateway.requests.append((self.path, dict(self.headers), body))
                answer = json.dumps(
                    {
                        "data": {
                            "id": f"local-{len(gateway.requests)}",
                            "price": gateway.price,
                            "parts": gateway.parts,
                        }
                    }
                ).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                pass  # the test server's log is the test's

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v1/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
