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
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openapi_spec import repeatable

from odoo.addons.crm_callcenter.tools.providers import (
    PayloadError,
    StreamError,
    get_adapter,
)

SEEDS = json.loads(
    (Path(__file__).parent / "data/adapter_seeds.json").read_text(encoding="utf-8")
)
ODD_TEXT = [
    "",
    " ",
    "\x00",
    "0",
    "-1",
    "1e400",
    "NaN",
    "99999999999999999999",
    "0001-01-01 00:00:00",
    "9999-12-31T23:59:59Z",
    "1970-01-01T00:00:00Z",
    "+84901234567",
    "€",
]


def _odd_values():
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**64), 2**64),
        st.floats(),
        st.text(max_size=30),
        st.sampled_from(ODD_TEXT),
        st.just({}),
        st.just([]),
    )


def _decode(seed):
    """A seed as a tree: its JSON, or its form pairs (with the JSON of form
    values that hold an object decoded)."""
    if seed.lstrip().startswith(("{", "[")):
        return "json", json.loads(seed)
    pairs = []
    for key, value in parse_qsl(seed, keep_blank_values=True):
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if isinstance(decoded, (dict, list)):
            pairs.append([key, {"json": decoded}])
        else:
            pairs.append([key, value])
    return "form", pairs


def _encode(kind, tree):
    if kind == "json":
        return json.dumps(tree).encode()

    def text(value):
        if isinstance(value, dict) and set(value) == {"json"}:
            return json.dumps(value["json"])
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value)

    return urlencode([(key, text(value)) for key, value in tree]).encode()


def _leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _replace(tree, path, value):
    node = tree
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


@st.composite
def _damaged(draw, seeds):
    kind, tree = _decode(draw(st.sampled_from(seeds)))
    # Form keys stay (path[1] == 0 is a key): the values change.
    leaves = [
        path for path in _leaves(tree) if kind == "json" or path[1] == 1 or path[2:]
    ]
    for path in draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=4)):
        _replace(tree, path, draw(_odd_values()))
    return _encode(kind, tree)


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
    @given(_damaged(SEEDS[channel][code]))
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
