"""Any message the published schema allows is accepted and folded.

The OpenAPI description tells contact centers that a body valid against
``WebhookMessage`` is a message we take. Bodies are generated from that
schema (hypothesis-jsonschema, derandomized so that CI is repeatable): each
must parse (no 400) and fold inline into its call without an error, which
would leave the event failing at each retry while the center was told 200.

It once found JSON's "\\u0000" in any text (PostgreSQL cannot store NUL: the
event failed, or the request answered 500 when it was in the call id),
costs and durations beyond what the columns hold, and an answer time so far
back that the talk time derived from it did not fit its column.
"""

import json
import uuid

from hypothesis import example, given
from openapi_spec import OpenApiSpec, generated, repeatable

from odoo.addons.crm_callcenter.tools.providers import get_adapter

CC = OpenApiSpec("crm_callcenter")
ANSWERED_1958 = "1958-01-01T00:00:00Z"
BASE = {"call_id": "c-1", "direction": "inbound", "from": "0901234567", "to": "1"}


def test_schema_valid_messages_are_accepted_and_folded(env):
    provider = env.ref("crm_callcenter.crm_callcenter_provider_generic_demo")
    provider.event_processing = "inline"
    Event = env["crm.callcenter.event"]
    adapter = get_adapter("generic")
    folded = []

    @repeatable(200)
    @given(generated(CC, "WebhookMessage"))
    @example({"type": "call.ringing", "data": {**BASE, "call_id": "0\x00"}})
    @example({"type": "call.ringing", "data": {**BASE, "from": "09\x0001"}})
    @example({"type": "call.ended", "data": {**BASE, "cost": 1e12}})
    @example({"type": "call.ended", "data": {**BASE, "duration": 2**31 - 1}})
    @example({"type": "call.ended", "data": {**BASE, "answered_at": ANSWERED_1958}})
    def fold(doc):
        assert not CC.errors(CC.schema("WebhookMessage"), doc)
        body = json.dumps(doc)
        events = adapter.parse(body.encode())
        with env.cr.savepoint(flush=False) as savepoint:
            event, duplicate = Event._receive(provider, uuid.uuid4().hex, body, events)
            env.flush_all()
            assert not duplicate
            if doc["type"] == "ping":
                assert event.state == "ignored"
            else:
                assert (event.state, event.error) == ("done", False)
                call = event.call_id
                assert call.external_call_id == events[0].external_call_id
                assert "\x00" not in call.external_call_id
                assert call.direction == doc["data"]["direction"]
                folded.append(doc["type"])
            savepoint.rollback()
        env.invalidate_all()

    fold()
    # The generated messages reached the fold, of every kind.
    assert {"call.ringing", "call.answered", "call.ended", "call.updated"} <= set(
        folded
    )
