"""Whatever an SMS gateway answers, we read a result and can store it.

The answers are the gateways' real ones (as the SMS tests fake them) with a
few values made odd, and any status. Reading must give a send result (or a
delivery status), never an exception: the SMS went out or not, and either
way the send loop goes on to the next message. Storing the result on the
message's log must work too: a failure after the gateway took the message
rolls back its "sent" state, and the message is sent again.

It once found numbers beyond floats or 32 bits in the answers (a part count,
a cost, a status): the examples below.
"""

import json

import pytest
import responses
from damage import damaged
from hypothesis import example, given
from hypothesis import strategies as st
from openapi_spec import repeatable

from odoo.addons.crm_callcenter_sms.tools.common import GatewayResult, GatewayStatus
from odoo.addons.crm_callcenter_sms.tools.http_gateway import HttpGatewayClient
from odoo.addons.crm_callcenter_sms.tools.smsc import DEFAULT_BASE_URL, SmscClient

HTTP_GATEWAY = "crm_callcenter_sms.crm_callcenter_sms_gateway_http_demo"
HTTP_ANSWERS = [
    json.dumps({"data": {"id": "m-1", "price": "0.07", "parts": 2}}),
    json.dumps({"error": {"message": "upstream unavailable"}}),
]
SMSC_ANSWERS = [
    json.dumps({"id": 97, "cnt": 1, "cost": "2.40", "balance": "1034.56"}),
    json.dumps({"error": "duplicate request, wait a minute", "error_code": 9}),
]
SMSC_STATUS = [json.dumps({"status": 1, "err": 0}), json.dumps({"status": 20})]
STATUSES = st.one_of(
    st.just(200), st.sampled_from([201, 400, 401, 402, 403, 429, 500, 503])
)


def _answers(seeds):
    return st.one_of(
        damaged(seeds, min_changes=0).map(bytes.decode), st.text(max_size=30)
    )


@pytest.fixture
def log(env):
    gateway = env.ref(HTTP_GATEWAY)
    return env["crm.callcenter.sms.log"].create(
        {"number": "+79161234567", "gateway_id": gateway.id}
    )


def _store(env, log, result):
    with env.cr.savepoint(flush=False) as savepoint:
        log._record_send(log.gateway_id, result, "Hi", log.gateway_id.browse())
        env.flush_all()
        assert log.state == ("sent" if result.ok else "failed")
        savepoint.rollback()
    env.invalidate_all()


def _check_sends(env, log, client, url, answers, odd_example):
    """``client.send`` of one SMS, the gateway answering ``answers`` made
    odd with any status: a result, that the log can store; both outcomes
    reached."""
    sent = set()

    @repeatable(300)
    @given(status=STATUSES, text=_answers(answers))
    @example(status=200, text=odd_example)
    def check(status, text):
        with responses.RequestsMock() as gateway:
            gateway.add(responses.POST, url, body=text, status=status)
            result = client.send("+79161234567", "Hi", reference="7")
        assert isinstance(result, GatewayResult)
        assert result.ok or result.reason
        _store(env, log, result)
        sent.add(result.ok)

    check()
    assert sent == {True, False}


def test_http_gateway_answers_are_read_and_stored(env, log):
    gateway = env.ref(HTTP_GATEWAY)
    url = "https://gateway.example/send"
    client = HttpGatewayClient(
        {
            "url": url,
            "id_path": gateway.http_id_path,
            "error_path": gateway.http_error_path,
            "cost_path": gateway.http_cost_path,
            "parts_path": gateway.http_parts_path,
        }
    )
    odd = '{"data": {"id": "m", "price": 1e400, "parts": 2e10}}'
    _check_sends(env, log, client, url, HTTP_ANSWERS, odd)


def test_smsc_answers_are_read_and_stored(env, log):
    client = SmscClient({"login": "acme", "password": "secret"})
    url = DEFAULT_BASE_URL.rstrip("/") + "/sys/send.php"
    odd = '{"id": 97, "cnt": 2147483648, "cost": "NaN"}'
    _check_sends(env, log, client, url, SMSC_ANSWERS, odd)


def test_smsc_statuses_are_read_and_applied(env, log):
    states = set()

    @repeatable(300)
    @given(text=damaged(SMSC_STATUS, min_changes=0).map(bytes.decode))
    @example(text='{"status": Infinity}')
    def check(text):
        data = json.loads(text)
        status = SmscClient.parse_status(data.get("status"), data.get("err"))
        if status is None:  # no status in it: asked again later
            return
        assert isinstance(status, GatewayStatus)
        with env.cr.savepoint(flush=False) as savepoint:
            log.write({"state": "sent"})
            log._apply_status(status)
            env.flush_all()
            states.add(log.state)
            savepoint.rollback()
        env.invalidate_all()

    check()
    assert states == {"sent", "delivered", "failed"}
