"""The published OpenAPI description of the generic format tells the truth.

``addons/crm_callcenter/static/api/openapi.yaml`` is what a contact center's
developers read. These tests keep it valid OpenAPI 3.1 and tie it to the code
both ways:

- each example in it validates against its own schema, and each event example
  is accepted by the generic adapter with the state its type names;
- what our own tools send (the simulator's scenarios, Send Test Event, the
  test suite's fake center, the click-to-call request Odoo sends) validates
  against the schemas;
- what a real two-worker Odoo answers (stored, refused, unknown token, caller
  found or not) validates against the response schemas.
"""

import json
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from unittest.mock import patch

import pytest
import requests
import yaml
from demo_center import signed_headers as _signed_headers
from openapi_spec import OpenApiSpec
from openapi_spec_validator import validate as validate_openapi

from odoo.addons.crm_callcenter.tests.common import FakeContactCenter
from odoo.addons.crm_callcenter.tools.providers import get_adapter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import simulate_call  # noqa: E402  (scripts/ is not a package)

SPECS = {
    addon: OpenApiSpec(addon)
    for addon in ("crm_callcenter", "crm_callcenter_sms", "crm_telesales")
}
CC = SPECS["crm_callcenter"]
EVENT_STATES = {
    "call.ringing": "ringing",
    "call.answered": "answered",
    "call.ended": "ended",
    "call.updated": None,
}
EVENT_EXAMPLES = CC.request_examples("/callcenter/webhook/{token}", "post")
MESSAGE = CC.schema("WebhookMessage")
EXAMPLES = [
    (spec, where, schema, value)
    for spec in SPECS.values()
    for where, schema, value in spec.examples()
]


@pytest.mark.parametrize("addon", sorted(SPECS))
def test_the_spec_is_valid_openapi_3_1(addon):
    validate_openapi(SPECS[addon].doc)
    assert SPECS[addon].doc["openapi"].startswith("3.1")


def test_the_specs_have_examples_of_each_kind():
    # The checks below walk the examples: make sure they found them.
    assert {"ringing", "answered", "ended", "updated", "ping"} <= set(EVENT_EXAMPLES)
    assert len(CC.examples()) >= 15
    assert len(SPECS["crm_telesales"].examples()) >= 8


@pytest.mark.parametrize(
    ("spec", "where", "schema", "example"),
    EXAMPLES,
    ids=[f"{spec.addon}:{where}" for spec, where, _schema, _value in EXAMPLES],
)
def test_each_example_matches_its_schema(spec, where, schema, example):
    assert spec.errors(schema, example) == []


@pytest.mark.parametrize("addon", sorted(SPECS))
def test_every_odoo_serves_the_spec(odoo_server, addon):
    """The URL the specs and the docs give other systems' developers."""
    response = requests.get(odoo_server + SPECS[addon].url_path, timeout=30)
    assert response.status_code == 200
    assert yaml.safe_load(response.content) == SPECS[addon].doc


@pytest.mark.parametrize("name", sorted(EVENT_EXAMPLES))
def test_each_event_example_is_accepted_with_its_state(name):
    doc = EVENT_EXAMPLES[name]["value"]
    events = get_adapter("generic").parse(json.dumps(doc).encode())
    if doc["type"] == "ping":
        assert events == []
        return
    (event,) = events
    assert event.state == EVENT_STATES[doc["type"]]
    assert event.external_call_id == doc["data"]["call_id"]
    assert event.direction == doc["data"]["direction"]


def test_the_schema_refuses_what_the_adapter_refuses():
    """A few bodies the adapter answers 400 to: the schema refuses them too
    (it would be no contract if it allowed them)."""
    base = {"call_id": "c-1", "direction": "inbound", "from": "1", "to": "2"}
    refused = [
        {"type": "call.ringing", "data": {**base, "call_id": "  "}},
        {"type": "call.ringing", "data": {**base, "direction": "sideways"}},
        {"type": "call.ended", "data": {**base, "outcome": "hung"}},
        {"type": "call.updated", "data": {**base, "duration": -1}},
        {"type": "call.updated", "data": {**base, "billsec": 1.5}},
        {"type": "call.updated", "data": {**base, "cost": -0.1}},
        {"type": "call.updated", "data": {**base, "cost": 1e13}},
        {"type": "call.updated", "data": {**base, "duration": 2**31}},
        {"type": "call.updated", "data": {**base, "billsec": 2**31}},
        {"type": "call.updated", "data": {**base, "currency": "USD"}},
        {"type": "call.updated", "data": {**base, "cost": 1, "currency": "US"}},
        {"type": "call.updated", "data": {**base, "satisfaction": 0}},
        {"type": "call.updated", "data": {**base, "satisfaction": 6}},
        {"type": "call.updated", "data": {**base, "satisfaction": 4.5}},
        {"type": "call.updated", "data": {**base, "satisfaction": "5"}},
        {"type": "call.updated", "data": {**base, "satisfaction": True}},
        {"type": "call.ringing", "timestamp": "2026-03-02T16:00:00", "data": base},
        {"type": "call.ringing", "data": {k: v for k, v in base.items() if k != "to"}},
        {"type": {"call.ringing": 1}, "data": base},
        {"type": "call.ringing", "data": [base]},
    ]
    adapter = get_adapter("generic")
    for doc in refused:
        with pytest.raises(ValueError):  # PayloadError is a ValueError
            adapter.parse(json.dumps(doc).encode())
        assert CC.errors(MESSAGE, doc), f"the schema allows {doc}"


def _simulated_bodies():
    bodies = []
    args = ("sim-1", "0901234567", "101", "+842838123456")
    for scenario in simulate_call.SCENARIOS:
        bodies += simulate_call.scenario_events(scenario, *args)
    bodies.append(simulate_call.survey_event(bodies[-2:], 4))
    for outcome in ("answered", "no_answer", "busy"):
        bodies += simulate_call.originate_events(
            outcome, "sim-2", "101", "+84903555111", "corr-1"
        )
    task = {"task_id": "odoo-telesales-7:45", "number": "+84903555111"}
    for outcome in ("answered", "no_answer", "busy"):
        bodies += simulate_call.dialer_events(outcome, task, "101")
    return [
        {"type": e["type"], "timestamp": e["at"].isoformat(), "data": e["data"]}
        for e in bodies
    ]


def test_what_our_tools_send_matches_the_schema():
    bodies = _simulated_bodies()
    center = FakeContactCenter()
    for event_type in EVENT_STATES:
        body, _headers = center.event(
            event_type, "fake-1", agent="101", outcome="answered", billsec=5
        )
        bodies.append(json.loads(body))
    ping, _headers = get_adapter("generic").sample_request(
        {"webhook_secret": simulate_call.DEMO_SECRET}, "http://x", int(time.time())
    )
    bodies.append(json.loads(ping))
    assert len(bodies) > 20
    for body in bodies:
        assert CC.errors(MESSAGE, body) == [], body


def test_the_click_to_call_request_matches_the_schema():
    adapter = get_adapter("generic")
    sent = {}

    def post(_self, url, body, headers, timeout):
        sent.update(body=json.loads(body), headers=headers)
        response = requests.Response()
        response.status_code = 200
        response._content = b'{"call_id": "c-2001"}'
        return response

    config = {
        "originate_url": "https://center.example/originate",
        "webhook_secret": simulate_call.DEMO_SECRET,
        "timeout": 5,
    }
    with patch.object(type(adapter), "_post", post):
        result = adapter.originate(config, "101", "+84903555111", "corr-9")
    assert result.external_call_id == "c-2001"
    assert CC.errors(CC.schema("OriginateRequest"), sent["body"]) == []
    for header in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert sent["headers"][header]


# -- answers of a real server --------------------------------------------------


def test_the_server_answers_as_the_spec_says(odoo_server, env):
    provider = env.ref("crm_callcenter.crm_callcenter_provider_generic_demo")
    webhook = f"{odoo_server}/callcenter/webhook/{provider.webhook_token}"
    path = "/callcenter/webhook/{token}"
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    good = json.dumps(
        {
            "type": "call.ringing",
            "timestamp": stamp,
            "data": {
                "call_id": f"oas-{uuid.uuid4().hex[:8]}",
                "direction": "inbound",
                "from": "0901234567",
                "to": "+842838123456",
            },
        }
    ).encode()
    msg_id = f"msg_{uuid.uuid4().hex}"
    answers = {
        "200": requests.post(
            webhook, data=good, headers=_signed_headers(msg_id, good), timeout=30
        ),
        "400": requests.post(
            webhook,
            data=b'{"type": "call.ringing", "data": {}}',
            headers=_signed_headers(
                f"msg_{uuid.uuid4().hex}", b'{"type": "call.ringing", "data": {}}'
            ),
            timeout=30,
        ),
        "401": requests.post(
            webhook, data=good, headers={"webhook-id": "x"}, timeout=30
        ),
        "404": requests.post(
            f"{odoo_server}/callcenter/webhook/nope", data=good, timeout=30
        ),
    }
    for status, response in answers.items():
        assert str(response.status_code) == status, response.text
        assert CC.answer_errors(path, "post", response) == [], response.text

    lookup_path = "/callcenter/lookup/{token}"
    found = []
    for number in ("0901234567", "0912000111"):
        target = f"/callcenter/lookup/{provider.webhook_token}?number={number}"
        response = requests.get(
            odoo_server + target,
            headers=_signed_headers(f"msg_{uuid.uuid4().hex}", target.encode()),
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert CC.answer_errors(lookup_path, "get", response) == [], response.text
        found.append(response.json()["found"])
    assert found == [True, False]
