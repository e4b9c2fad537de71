"""Every provider adapter answers any body with events or a PayloadError,
refuses any request its secrets did not sign with a SignatureError, and
reads any answer of its center to a click-to-call request as a result or an
OriginateError (whose message the agent reads).

The webhook turns a PayloadError into a 400 with its reason and stores
nothing; any other exception is a 500 that the provider retries for ever,
and in the queued and retry paths an event that fails again at each retry.
The bodies are generated (hypothesis) from each adapter's own vocabulary:
JSON trees of its field names and values, form bodies, form bodies wrapping
JSON (Mango, Rostelecom), with URL suffixes, and raw bytes. Runs are
derandomized so that CI is repeatable; the examples below are bodies that
once broke an adapter.
"""

import ast
import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
import responses
from damage import damaged
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo.addons.crm_callcenter.tools.call_event import CallEvent
from odoo.addons.crm_callcenter.tools.providers import (
    ADAPTERS,
    OriginateError,
    OriginateResult,
    PayloadError,
    StreamError,
    get_adapter,
)
from odoo.addons.crm_callcenter.tools.providers.rostelecom import RostelecomApiError
from odoo.addons.crm_callcenter.tools.signature import SignatureError
from odoo.addons.crm_telesales.tools.dialer import DIALERS, DialerError

PROVIDERS = Path(__file__).resolve().parents[1] / (
    "addons/crm_callcenter/tools/providers"
)
CODES = sorted(ADAPTERS)
ARI_NAME_TRUE = json.dumps(
    {
        "type": "ChannelCreated",
        "channel": {
            "id": "1772442000.422",
            "name": True,
            "state": "Ring",
            "caller": {"name": "", "number": "79161234567"},
            "dialplan": {"context": "from-trunk", "exten": "74951234567"},
            "channelvars": {"CHANNEL(linkedid)": "1772442000.422"},
        },
        "application": "odoo",
    }
).encode()
RT_YEAR_1 = (
    b'{"session_id": "S-1", "timestamp": %s, "type": "incoming",'
    b' "state": "connected", "from_number": "79161234567",'
    b' "request_number": "74951234567"}'
)
FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _vocabulary(code):
    """The short string literals of the adapter's module and of base.py:
    its field names, event names and values."""
    module = ADAPTERS[code].__module__.rsplit(".", 1)[-1]
    words = set()
    for name in (module, "base"):
        tree = ast.parse((PROVIDERS / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and 0 < len(node.value) < 40
                and " " not in node.value
            ):
                words.add(node.value)
    return sorted(words)


def _values(words):
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=True),
        st.text(max_size=20),
        st.sampled_from(words),
        st.sampled_from(["", "+84901234567", "2026-12-07T10:00:00Z", "1796643115"]),
    )


def _trees(words):
    keys = st.one_of(st.sampled_from(words), st.text(max_size=8))
    return st.recursive(
        _values(words),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(keys, inner, max_size=8),
        ),
        max_leaves=25,
    )


def _bodies(words):
    form_values = st.one_of(
        st.text(max_size=15), st.sampled_from(words), st.integers().map(str)
    )
    form = st.dictionaries(st.sampled_from(words), form_values, max_size=12)
    return st.one_of(
        _trees(words).map(lambda doc: json.dumps(doc, default=str).encode()),
        form.map(lambda fields: urlencode(fields).encode()),
        st.tuples(form, _trees(words)).map(
            lambda pair: urlencode(
                {**pair[0], "json": json.dumps(pair[1], default=str)}
            ).encode()
        ),
        st.binary(max_size=200),
    )


def _check_parse(adapter, body, suffix):
    stored = adapter.stored_body(body, suffix)
    if stored is None:
        return  # the webhook answers 404 before parsing
    try:
        events = adapter.parse(stored, {})
    except PayloadError as exc:
        assert str(exc), "a refusal says why"
        return
    assert isinstance(events, list)
    assert all(isinstance(event, CallEvent) for event in events)
    # What the webhook does next with them must not fail either.
    adapter.request_key({}, stored, events)
    adapter.reply(events)


@pytest.mark.parametrize("code", CODES)
def test_parse_answers_events_or_payload_error(code):
    adapter = get_adapter(code)
    words = _vocabulary(code)
    suffixes = st.one_of(st.none(), st.sampled_from(words), st.text(max_size=12))

    @FUZZ
    @given(body=_bodies(words), suffix=suffixes)
    # A JSON object as the generic event type: it was looked up in a dict.
    @example(body=b'{"type": {"call.ringing": 1}, "data": {}}', suffix=None)
    # ARI's stream-control message stored and reprocessed: not an event.
    @example(body=b'{"type": "ApplicationReplaced", "application": "x"}', suffix=None)
    # Found by tests/test_adapter_fold.py: a channel name that is no string
    # (ARI), a number beyond floats (FreeSWITCH), times whose UTC falls
    # before year 1 (Rostelecom).
    @example(body=ARI_NAME_TRUE, suffix=None)
    @example(
        body=b'{"variables": {"uuid": "a"}, "callflow": [{"profile_index": "1e400"}]}',
        suffix=None,
    )
    @example(body=RT_YEAR_1 % b'"0001-01-01 00:00:00"', suffix=None)
    @example(body=RT_YEAR_1 % b"-62135596801", suffix=None)
    def check(body, suffix):
        _check_parse(adapter, body, suffix)

    check()


@pytest.mark.parametrize(
    "code", [code for code in CODES if code in ("kazoo", "asterisk_ari")]
)
def test_stream_messages_answer_events_or_a_clear_error(code):
    """Websocket messages: events, a PayloadError (message skipped) or a
    StreamError (connection dropped), nothing else."""
    adapter = get_adapter(code)
    words = _vocabulary(code)

    @FUZZ
    @given(message=_trees(words).map(lambda doc: json.dumps(doc, default=str)))
    def check(message):
        try:
            _key, events = adapter.ws_parse(message)
        except (PayloadError, StreamError) as exc:
            assert str(exc)
            return
        assert all(isinstance(event, CallEvent) for event in events)

    check()


# Every secret and setting an adapter's verify() may read, set: a request
# that does not carry them must be refused (Kazoo, which does not sign, checks
# its custom_data value when one is set).
CONFIG = {
    "timeout": 5,
    "webhook_secret": "whsec_ZGVtby1vbmx5LXNlY3JldC1jaGFuZ2UtaXQtbm93ISE=",
    "kazoo_custom_data": "kz-shared-value",
    "kazoo_auto_answer": False,
    **dict.fromkeys(
        [
            "ari_user",
            "ari_password",
            "ari_url",
            "ari_app",
            "ari_auth",
            "freeswitch_username",
            "freeswitch_password",
            "kazoo_account_id",
            "kazoo_api_key",
            "kazoo_api_url",
            "mango_api_key",
            "mango_api_salt",
            "mango_api_url",
            "rostelecom_client_id",
            "rostelecom_sign_key",
            "rostelecom_api_url",
            "twilio_account_sid",
            "twilio_auth_token",
            "twilio_public_base_url",
            "zadarma_api_key",
            "zadarma_api_secret",
            "zadarma_api_url",
        ],
        "s3cret-value",
    ),
}
SIGNATURE_HEADERS = [
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "X-Twilio-Signature",
    "Signature",
    "Authorization",
    "X-Client-ID",
    "X-Client-Sign",
]


@pytest.mark.parametrize("code", CODES)
def test_unsigned_requests_are_refused(code):
    adapter = get_adapter(code)
    words = _vocabulary(code)
    header_values = st.one_of(
        st.text(max_size=30),
        st.sampled_from(
            [*words, "v1,abc", "Basic Zm9vOmJhcg==", "1796643115", "v1,", ""]
        ),
    )
    headers = st.dictionaries(
        st.one_of(st.sampled_from(words), st.sampled_from(SIGNATURE_HEADERS)),
        header_values,
        max_size=5,
    )
    urls = st.sampled_from(
        [
            "http://odoo.example/callcenter/webhook/t",
            "http://odoo.example/callcenter/webhook/t?a=1&b",
            "https://odoo.example/callcenter/webhook/t/events/call",
        ]
    )

    @FUZZ
    @given(headers=headers, body=_bodies(words), url=urls)
    def check(headers, body, url):
        with pytest.raises(SignatureError):
            adapter.verify(CONFIG, headers, body, url, 1796643115)

    check()


# What click-to-call needs of each provider: every address points to a fake
# center (the answers below), secrets are set.
ORIGINATE_CONFIG = {
    **CONFIG,
    **dict.fromkeys(
        [
            "ari_url",
            "kazoo_api_url",
            "mango_api_url",
            "rostelecom_api_url",
            "zadarma_api_url",
            "originate_url",
        ],
        "https://center.example/api",
    ),
    "twilio_account_sid": "AC" + "1" * 32,
    "twilio_caller_id": "+842838123456",
    "twilio_public_base_url": "https://odoo.example",
    "ari_auth": "basic",
    "rostelecom_sip_domain": "pbx.example",
    "webhook_secret": CONFIG["webhook_secret"],
}
STATUSES = [200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 422, 429, 500, 503]
# What each center answers when it places the call (from the provider
# tests): the generated answers are these, made odd, or anything else.
PLACED = {
    "generic": {"call_id": "pbx-1"},
    "kazoo": {
        "auth_token": "tok-123",
        "status": "success",
        "data": {"endpoints": [{"outbound_call_id": "c-1", "endpoint_id": "d-1"}]},
    },
    "mango": {"result": 1000},
    "rostelecom": {"result": "0", "resultMessage": "OK", "session_id": "S-out-1"},
    "twilio": {"sid": "CA" + "2" * 32, "status": "queued"},
    "zadarma": {"status": "success", "from": 101, "to": 79161234567, "time": 1},
    "asterisk_ari": {"id": "odoo-c2c-42", "name": "PJSIP/101-1", "state": "Down"},
    "freeswitch": {},
}


@pytest.mark.parametrize("code", CODES)
def test_originate_answers_a_result_or_an_originate_error(code):
    """Whatever the center answers to a click-to-call request (any status,
    any JSON of its vocabulary, any text), the adapter returns a result or
    raises OriginateError, whose message the agent reads; anything else is a
    traceback in the agent's browser."""
    adapter = get_adapter(code)
    words = _vocabulary(code)
    placed = damaged([json.dumps(PLACED[code])], min_changes=0).map(bytes.decode)
    bodies = st.one_of(
        # (Mostly answers close to a real one: they reach the most code.)
        placed,
        placed,
        placed,
        _trees(words).map(lambda doc: json.dumps(doc, default=str)),
        st.text(max_size=40),
    )
    statuses = st.one_of(st.sampled_from([200, 201]), st.sampled_from(STATUSES))
    outcomes = set()

    @settings(FUZZ, max_examples=400)
    @given(status=statuses, body=bodies)
    # A session id that is no string (Rostelecom).
    @example(status=200, body='{"result": "0", "session_id": {}}')
    def check(status, body):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as center:
            for method in (responses.GET, responses.POST, responses.PUT):
                center.add(
                    method,
                    re.compile(r"https://center\.example/.*|https://api\.twilio.*"),
                    body=body,
                    status=status,
                    content_type="application/json",
                )
            try:
                result = adapter.originate(
                    ORIGINATE_CONFIG, "101", "+84901234567", "corr-1"
                )
            except OriginateError as exc:
                assert str(exc), "the agent is told why"
                outcomes.add("refused")
                return
        assert result is None or isinstance(result, OriginateResult)
        outcomes.add("placed")

    check()
    if code != "freeswitch":  # it cannot place calls (CDRs only)
        assert "placed" in outcomes, "the fake center was reached"


def test_dialer_reads_any_answer_as_taken_tasks_or_a_dialer_error():
    """Whatever the center answers to a batch of telesales tasks, the push
    reads which tasks it took and why it refused others (short text without
    NUL, for the target), or raises DialerError; never another exception,
    which would fail the push cron after the center took the batch."""
    tasks = [{"task_id": f"odoo-telesales-7:{n}", "number": "+1"} for n in (1, 2)]
    sent = {task["task_id"] for task in tasks}
    real = [
        json.dumps(
            {
                "accepted": ["odoo-telesales-7:1"],
                "rejected": [{"task_id": "odoo-telesales-7:2", "error": "DNC list"}],
            }
        ),
        json.dumps({"error": "campaign closed"}),
    ]
    config = {
        "dialer_url": "https://center.example/tasks",
        "webhook_secret": CONFIG["webhook_secret"],
        "timeout": 5,
    }
    outcomes = set()

    @settings(FUZZ, max_examples=300)
    @given(
        status=st.one_of(st.just(200), st.sampled_from(STATUSES)),
        body=st.one_of(
            damaged(real, min_changes=0).map(bytes.decode), st.text(max_size=30)
        ),
    )
    # A task id that is an object, a list that is a number: it once raised
    # TypeError after the center took the batch.
    @example(status=200, body='{"rejected": [{"task_id": {}, "error": "x"}]}')
    @example(status=200, body='{"accepted": 5}')
    def check(status, body):
        with responses.RequestsMock() as center:
            center.add(responses.POST, config["dialer_url"], body=body, status=status)
            try:
                accepted, rejected = DIALERS["generic"].push(
                    config, {"ref": "odoo-telesales-7", "name": "Promo"}, tasks
                )
            except DialerError as exc:
                assert str(exc)
                outcomes.add("failed")
                return
        assert accepted <= sent and set(rejected) <= sent
        assert not accepted & set(rejected)
        for reason in rejected.values():
            assert isinstance(reason, str) and reason and "\x00" not in reason
        outcomes.add("answered")

    check()
    assert outcomes == {"answered", "failed"}


def test_rostelecom_details_answers_are_events_or_a_clear_error():
    """The details Odoo fetches of an ended Rostelecom call (call_info,
    get_record), whatever the API answers: events, or the API or payload
    error the fetch cron records and retries; anything else fails the cron
    run for every call after this one."""
    adapter = get_adapter("rostelecom")
    info = {
        "result": "0",
        "resultMessage": "OK",
        "info": {
            "session_id": "S-1",
            "direction": 1,
            "state": 1,
            "orig_number": "79161234567",
            "dest_number": "74951234567",
            "start_call_date": "2026-03-02 12:00:00",
            "duration": 72,
            "is_record": "true",
        },
    }
    record = {"result": "0", "url": "https://api.example/rec/S-1.mp3"}
    real = [json.dumps(info), json.dumps(record)]
    outcomes = set()

    @settings(FUZZ, max_examples=300)
    @given(
        status=st.one_of(st.just(200), st.sampled_from(STATUSES)),
        content=damaged(real, min_changes=0),
        method=st.sampled_from(["call_info", "get_record"]),
    )
    def check(status, content, method):
        try:
            answer = adapter.parse_api_answer(status, content)
            body = adapter.details_body("S-1", "inbound", method, answer)
            events = adapter.parse(body)
        except (RostelecomApiError, PayloadError) as exc:
            assert str(exc)
            outcomes.add("error")
            return
        assert all(isinstance(event, CallEvent) for event in events)
        outcomes.add("events")

    check()
    assert outcomes == {"events", "error"}
