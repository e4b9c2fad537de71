"""What any provider adapter makes of a damaged message folds without error.

Seeds are real bodies of each provider's wire format (``data/
adapter_seeds.json``: webhook bodies and websocket messages of the provider
tests, recorded once). Each
example changes a few of a seed's values (JSON leaves, form values, the JSON
inside form values) to odd ones: empty, NUL, huge or negative numbers, dates
at the ends of the calendar, any text. The adapter may refuse the body
(PayloadError: a 400, nothing stored); what it accepts must fold inline into
its call without an error, which would leave the event failing at each retry
while the provider was told 200.
"""

import json
import uuid
from pathlib import Path

import pytest
from damage import damaged
from hypothesis import given
from openapi_spec import repeatable

from odoo.addons.crm_callcenter.tools.providers import (
    PayloadError,
    StreamError,
    get_adapter,
)

SEEDS = json.loads(
    (Path(__file__).parent / "data/adapter_seeds.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    ("channel", "code"),
    [(channel, code) for channel in sorted(SEEDS) for code in sorted(SEEDS[channel])],
)
def test_what_an_adapter_accepts_folds(env, channel, code):
    """``channel``: webhook bodies (``parse``) or the websocket messages of
    Kazoo and Asterisk ARI (``ws_parse``, as the listener reads them)."""
    adapter = get_adapter(code)
    provider = env["crm.callcenter.provider"].create(
        {"name": f"Damaged {code}", "code": code, "event_processing": "inline"}
    )
    Event = env["crm.callcenter.event"]
    outcomes = set()

    @repeatable(300)
    @given(damaged(SEEDS[channel][code]))
    def fold(body):
        try:
            if channel == "webhook":
                events = adapter.parse(body, {})
            else:
                _key, events = adapter.ws_parse(body.decode())
        except (PayloadError, StreamError):
            outcomes.add("refused")
            return
        with env.cr.savepoint(flush=False) as savepoint:
            event, _duplicate = Event._receive(
                provider, uuid.uuid4().hex, body.decode(), events
            )
            env.flush_all()
            assert (event.state, event.error) in (("done", False), ("ignored", False))
            outcomes.add(event.state)
            savepoint.rollback()
        env.invalidate_all()

    fold()
    # Damaged messages reached the fold.
    assert outcomes & {"done", "ignored"}
