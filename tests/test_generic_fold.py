"""Any message the published schema allows is accepted and folded, and a
call's messages in any order build the same call.

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
from datetime import datetime, timedelta, timezone

from hypothesis import example, given
from hypothesis import strategies as st
from openapi_spec import OpenApiSpec, generated, repeatable

from odoo.addons.crm_callcenter.tools.providers import get_adapter

CC = OpenApiSpec("crm_callcenter")
AT_1958 = "1958-01-01T00:00:00Z"
BASE = {"call_id": "c-1", "direction": "inbound", "from": "0901234567", "to": "1"}


def test_schema_valid_messages_are_accepted_and_folded(env):
    provider = env.ref("crm_callcenter.crm_callcenter_provider_generic_demo")
    Event = env["crm.callcenter.event"]
    adapter = get_adapter("generic")
    folded = set()

    @repeatable(200)
    @given(generated(CC, "WebhookMessage"), st.sampled_from(["inline", "queued"]))
    @example({"type": "call.ringing", "data": {**BASE, "call_id": "0\x00"}}, "inline")
    @example({"type": "call.ringing", "data": {**BASE, "call_id": "0\x00"}}, "queued")
    @example({"type": "call.ringing", "data": {**BASE, "from": "09\x0001"}}, "inline")
    @example({"type": "call.ended", "data": {**BASE, "cost": 1e12}}, "inline")
    @example({"type": "call.ended", "data": {**BASE, "duration": 2**31 - 1}}, "inline")
    @example({"type": "call.ended", "data": {**BASE, "answered_at": AT_1958}}, "queued")
    def fold(doc, processing):
        assert not CC.errors(CC.schema("WebhookMessage"), doc)
        body = json.dumps(doc)
        events = adapter.parse(body.encode())
        with env.cr.savepoint(flush=False) as savepoint:
            provider.event_processing = processing
            event, duplicate = Event._receive(provider, uuid.uuid4().hex, body, events)
            assert not duplicate
            if processing == "queued":
                # What the queue's cron worker does: parse the stored body
                # again and fold it.
                assert event.state == "new"
                event._process()
            env.flush_all()
            if doc["type"] == "ping":
                assert event.state == "ignored"
            else:
                assert (event.state, event.error) == ("done", False)
                call = event.call_id
                assert call.external_call_id == events[0].external_call_id
                assert "\x00" not in call.external_call_id
                assert call.direction == doc["data"]["direction"]
                folded.add((doc["type"], processing))
            savepoint.rollback()
        env.invalidate_all()

    fold()
    # The generated messages reached the fold, of every kind, both ways.
    types = ("call.ringing", "call.answered", "call.ended", "call.updated")
    assert {(kind, way) for kind in types for way in ("inline", "queued")} <= folded


FIELDS = [
    "state",
    "direction",
    "outcome",
    "is_missed",
    "is_abandoned",
    "user_id",
    "partner_id",
    "lead_id",
    "customer_number",
    "started_at",
    "answered_at",
    "ended_at",
    "duration",
    "billsec",
    "answer_seconds",
    "recording_url",
    "queue",
]


@st.composite
def _call(draw):
    """The messages of one call, in the order they happened."""
    direction = draw(st.sampled_from(["inbound", "outbound"]))
    customer = draw(st.sampled_from(["0903555111", "+84 912 000 333", "0909999001"]))
    did = "+842838123456"
    base = {
        "call_id": f"perm-{draw(st.integers(0, 10**9))}",
        "direction": direction,
        "from": customer if direction == "inbound" else "101",
        "to": did if direction == "inbound" else customer,
    }
    start = datetime(2026, 12, 7, 8, 0, tzinfo=timezone.utc) + timedelta(
        seconds=draw(st.integers(0, 36000))
    )
    ringing_agent = draw(st.sampled_from([None, "101", "102"]))
    answering_agent = draw(st.sampled_from([ringing_agent, "101", "102"]))
    answered = draw(st.booleans())
    ring = draw(st.integers(0, 90))
    talk = draw(st.integers(0, 3600))

    def message(kind, at, **data):
        data = {**base, **{k: v for k, v in data.items() if v is not None}}
        return {"type": kind, "timestamp": at.isoformat(), "data": data}

    messages = [message("call.ringing", start, agent=ringing_agent)]
    end = start + timedelta(seconds=ring)
    if answered:
        answer_at = start + timedelta(seconds=ring)
        messages.append(message("call.answered", answer_at, agent=answering_agent))
        end = answer_at + timedelta(seconds=talk)
    outcome = draw(st.sampled_from([None, "voicemail", "busy", "cancelled"]))
    messages.append(message("call.ended", end, outcome=outcome, queue="sales"))
    if draw(st.booleans()):
        reported = draw(st.booleans())
        messages.append(
            message(
                "call.updated",
                end + timedelta(seconds=30),
                recording_url=f"https://pbx.example.com/rec/{base['call_id']}.mp3",
                duration=ring + talk + 5 if reported else None,
                billsec=talk if reported and answered else None,
            )
        )
    return messages


def test_any_delivery_order_gives_the_same_call(env):
    """Providers deliver out of order (retries, parallel senders): a call's
    messages in any order must build the call they build in order."""
    provider = env.ref("crm_callcenter.crm_callcenter_provider_generic_demo")
    provider.event_processing = "inline"
    Event = env["crm.callcenter.event"]
    adapter = get_adapter("generic")

    def build(messages):
        with env.cr.savepoint(flush=False) as savepoint:
            for doc in messages:
                body = json.dumps(doc)
                event, _dup = Event._receive(
                    provider, uuid.uuid4().hex, body, adapter.parse(body.encode())
                )
                assert event.state == "done", event.error
            env.flush_all()
            call = event.call_id
            values = {name: call[name] for name in FIELDS}
            values = {
                name: value.ids if hasattr(value, "ids") else value
                for name, value in values.items()
            }
            savepoint.rollback()
        env.invalidate_all()
        return values

    @repeatable(100)
    @given(_call().flatmap(lambda m: st.tuples(st.just(m), st.permutations(m))))
    def same(messages_and_shuffled):
        messages, shuffled = messages_and_shuffled
        assert build(shuffled) == build(messages)

    same()
