"""crm_callcenter_sms' OpenAPI description (delivery reports) tells the truth.

Its report examples are read by the gateway client with the state they
name, reports the client refuses are refused by the schema, the default
send request matches it, and a real two-worker Odoo answers signed and
unsigned reports as it says. (Validity and examples: test_openapi.py.)
"""

import json
import uuid
from unittest.mock import patch

import requests
from openapi_spec import OpenApiSpec, http_get, http_post

import odoo
from odoo.addons.crm_callcenter.tests.common import FakeContactCenter
from odoo.addons.crm_callcenter_sms.tools.http_gateway import HttpGatewayClient
from odoo.tests.common import get_db_name

SMS = OpenApiSpec("crm_callcenter_sms")
REPORT = "/crm_callcenter_sms/webhook/{token}"
GATEWAY = "crm_callcenter_sms.crm_callcenter_sms_gateway_http_demo"
STATES = {"delivered": "delivered", "failed": "failed", "status_from_type": "failed"}


def test_the_report_examples_are_read_with_their_state():
    examples = SMS.request_examples(REPORT, "post")
    assert set(examples) == set(STATES)
    for name, example in examples.items():
        body = json.dumps(example["value"]).encode()
        message_id, status = HttpGatewayClient.parse_callback(body)
        assert message_id == str(example["value"]["data"]["id"])
        assert status.state == STATES[name], name


def test_the_schema_refuses_what_the_client_refuses():
    refused = [
        {"type": "sms.delivered", "data": {}},
        {"type": "sms.delivered", "data": {"id": ""}},
        {"data": {"id": "1", "status": "lost"}},
        {"type": "sms.lost", "data": {"id": "1"}},
        {"data": {"id": "1"}},
        {"type": "sms.delivered", "data": "42"},
        [{"data": {"id": "1", "status": "delivered"}}],
    ]
    for report in refused:
        try:
            HttpGatewayClient.parse_callback(json.dumps(report).encode())
        except ValueError:
            pass
        else:
            raise AssertionError(f"the client accepts {report}")
        assert SMS.errors(SMS.schema("DeliveryReport"), report), report


def test_the_default_send_request_matches_the_schema():
    sent = {}

    def request(_self, payload):
        sent.update(payload)
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"id": "42"}'
        return response

    client = HttpGatewayClient({"url": "https://gw.example/send", "sender": "ACME"})
    with patch.object(HttpGatewayClient, "_request", request):
        result = client.send("+79161234567", "Hello", reference=17)
    assert result.message_id == "42"
    assert SMS.errors(SMS.schema("DefaultSendRequest"), sent) == [], sent


def _committed(work):
    registry = odoo.modules.registry.Registry(get_db_name())
    with registry.cursor() as cr:
        return work(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}))


def _signed(secret, body):
    """Headers of ``body`` signed with the gateway's report secret."""
    return FakeContactCenter(secret).sign(body, f"msg_{uuid.uuid4().hex}")[1]


def test_the_server_answers_as_the_spec_says(odoo_server, env):
    gateway = env.ref(GATEWAY).sudo()
    url = f"{odoo_server}/crm_callcenter_sms/webhook/{gateway.callback_token}"
    secret = gateway.http_webhook_secret
    message_id = f"oas-{uuid.uuid4().hex[:8]}"
    log_id = _committed(
        lambda e: (
            e["crm.callcenter.sms.log"]
            .create(
                {
                    "gateway_id": gateway.id,
                    "number": "+79161234567",
                    "state": "sent",
                    "provider_message_id": message_id,
                }
            )
            .id
        )
    )
    try:
        delivered = json.dumps(
            {"type": "sms.delivered", "data": {"id": message_id}}
        ).encode()
        unknown = json.dumps(
            {"type": "sms.delivered", "data": {"id": f"{message_id}-x"}}
        ).encode()
        bad = json.dumps({"data": {"id": message_id, "status": "lost"}}).encode()
        answers = [
            http_post(url, data=delivered, headers=_signed(secret, delivered)),
            http_post(url, data=bad, headers=_signed(secret, bad)),
            http_post(url, data=delivered, headers={"webhook-id": "x"}),
            http_post(url, data=unknown, headers=_signed(secret, unknown)),
            http_post(f"{url}-nope", data=delivered),
        ]
        assert [r.status_code for r in answers] == [200, 400, 401, 404, 404], [
            r.text for r in answers
        ]
        for response in answers:
            assert SMS.answer_errors(REPORT, "post", response) == [], response.text
        state = _committed(lambda e: e["crm.callcenter.sms.log"].browse(log_id).state)
        assert state == "delivered"
        smsc = http_get(f"{odoo_server}/crm_callcenter_sms/smsc/nope?id=1&status=1")
        assert smsc.status_code == 404
        assert SMS.answer_errors("/crm_callcenter_sms/smsc/{token}", "get", smsc) == []
    finally:
        _committed(lambda e: e["crm.callcenter.sms.log"].browse(log_id).unlink())
