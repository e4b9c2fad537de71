"""The generic webhook over real HTTP against a real multi-worker Odoo."""

import json
import random
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import simulate_call  # noqa: E402  (scripts/ is not a package)


def _demo_provider(env):
    return env.ref("crm_callcenter.crm_callcenter_provider_generic_demo")


def _post_signed(url, msg_id, body, secret=simulate_call.DEMO_SECRET):
    """POST one body signed like the contact center signs it; the status."""
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": simulate_call.sign(secret, msg_id, timestamp, body),
    }
    return requests.post(url, data=body, headers=headers, timeout=60).status_code


def _wait_for_queue(env, timeout=60):
    """Automatic processing (the demo provider's) queues what comes while
    requests wait for a worker: wait until the cron worker folded it."""
    deadline = time.monotonic() + timeout
    while True:
        env.cr.rollback()
        env.cr.execute("SELECT count(*) FROM crm_callcenter_event WHERE state = 'new'")
        (waiting,) = env.cr.fetchone()
        if not waiting:
            return
        assert time.monotonic() < deadline, f"{waiting} events still queued"
        time.sleep(0.2)


def _fetch_calls(env, provider, call_ids):
    _wait_for_queue(env)
    env.invalidate_all()
    return env["crm.callcenter.call"].search(
        [("provider_id", "=", provider.id), ("external_call_id", "in", call_ids)]
    )


def _wait_for_call_backs(env, number, timeout=60):
    """Missed calls get their call-back from the server's cron worker, woken
    when the webhook's transaction commits: wait until it is done."""
    _wait_for_queue(env, timeout)
    deadline = time.monotonic() + timeout
    while True:
        env.cr.rollback()
        env.invalidate_all()
        queued = env["crm.callcenter.call"].search_count(
            [("customer_number", "=", number), ("callback_queued", "=", True)]
        )
        if not queued:
            return
        assert time.monotonic() < deadline, f"{queued} missed calls still queued"
        time.sleep(0.2)


def test_readme_example_creates_the_demo_call(odoo_server, env):
    """README: simulate_call.py against the demo provider's URL."""
    provider = _demo_provider(env)
    url = f"{odoo_server}/callcenter/webhook/{provider.webhook_token}"
    call_id = f"e2e-demo-{uuid.uuid4().hex[:8]}"
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "simulate_call.py"), "--url", url,
         "--call-id", call_id, "--from", "0901 234 567", "--agent", "101",
         "--delay", "0"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("HTTP 200") == 3

    env.cr.rollback()  # new snapshot
    (call,) = _fetch_calls(env, provider, [call_id])
    assert call.state == "ended"
    assert call.outcome == "answered"
    assert call.from_number == "+84901234567"
    assert call.partner_id == env.ref("crm_callcenter.res_partner_an_demo")
    assert call.user_id == env.ref("crm_callcenter.user_agent_linh_demo")
    assert call.billsec == 60


def test_concurrent_out_of_order_and_duplicate_deliveries(odoo_server, env):
    """Many calls, events shuffled and redelivered, sent by 8 clients at once."""
    provider = _demo_provider(env)
    url = f"{odoo_server}/callcenter/webhook/{provider.webhook_token}"
    secret = simulate_call.DEMO_SECRET
    run = uuid.uuid4().hex[:6]
    start = datetime.now(timezone.utc).replace(microsecond=0)
    requests_to_send = []
    call_ids = []
    for index in range(24):
        call_id = f"e2e-conc-{run}-{index}"
        call_ids.append(call_id)
        number = f"+8490{7000000 + index}"
        data = {"call_id": call_id, "direction": "inbound", "from": number,
                "to": "+842838123456", "agent": "102"}  # fmt: skip
        for offset, event_type in ((0, "call.ringing"), (5, "call.answered"),
                                   (65, "call.ended")):  # fmt: skip
            body = json.dumps({
                "type": event_type,
                "timestamp": (start + timedelta(seconds=offset)).isoformat(),
                "data": data,
            }).encode()  # fmt: skip
            requests_to_send.append((f"msg_{call_id}_{event_type}", body))
    duplicates = random.Random(7).sample(requests_to_send, 12)
    batch = requests_to_send + duplicates
    random.Random(11).shuffle(batch)

    def send(item):
        return _post_signed(url, *item, secret=secret)

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, batch))
    assert statuses == [200] * len(batch)

    env.cr.rollback()
    calls = _fetch_calls(env, provider, call_ids)
    assert sorted(calls.mapped("external_call_id")) == sorted(call_ids)
    agent = env.ref("crm_callcenter.user_agent_oleg_demo")
    for call in calls:
        assert (call.state, call.outcome, call.user_id) == ("ended", "answered", agent)
        assert (call.duration, call.billsec) == (65, 60), call.external_call_id
        assert len(call.event_ids) == 3
        assert set(call.event_ids.mapped("state")) == {"done"}
    # Eight clients on two workers: requests waited for a worker, and the
    # demo provider's automatic processing queued some of them, which the
    # cron worker folded afterwards (an event folded in its request is
    # stored once: only a queued one is written again).
    assert provider.event_processing == "auto"
    events = calls.event_ids
    assert events.filtered(lambda event: event.write_date != event.create_date)


def _simulate(url, *args):
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "simulate_call.py"), "--url", url,
         "--delay", "0", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_simulator_scenarios_reach_the_expected_call(odoo_server, env):
    """Each documented scenario ends as the docs say, over real HTTP."""
    provider = _demo_provider(env)
    url = f"{odoo_server}/callcenter/webhook/{provider.webhook_token}"
    run = uuid.uuid4().hex[:6]
    number = f"0913{random.Random(run).randrange(10**6):06d}"
    expected = {
        "duplicate": ("ended", "answered", False),
        "out-of-order": ("ended", "answered", False),
        "unknown": ("ended", "answered", False),
        # Last: an answered call of the number would settle its call-back.
        "ivr-missed": ("ended", "missed", True),
    }
    for scenario in expected:
        result = _simulate(url, "--scenario", scenario, "--call-id",
                           f"e2e-{scenario}-{run}", "--from", number)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    env.cr.rollback()
    for scenario, (state, outcome, missed) in expected.items():
        (call,) = _fetch_calls(env, provider, [f"e2e-{scenario}-{run}"])
        assert (call.state, call.outcome, call.is_missed) == (state, outcome, missed)
    # The IVR-missed call of this unknown number opened a call-back on a new
    # lead; the agent calling back closes it.
    _wait_for_call_backs(env, "+84" + number[1:])
    callback = env["crm.callcenter.callback"].search(
        [("number", "=", "+84" + number[1:]), ("state", "=", "open")]
    )
    assert callback.lead_id.phone_sanitized == "+84" + number[1:]
    assert callback.activity_id.active
    result = _simulate(url, "--scenario", "callback", "--call-id",
                       f"e2e-callback-{run}", "--from", number)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    env.cr.rollback()
    env.invalidate_all()
    assert callback.state == "done"
    assert not callback.activity_id.active

    # A withheld number: missed, and nothing to call back.
    result = _simulate(url, "--scenario", "hidden", "--call-id", f"e2e-hidden-{run}")
    assert result.returncode == 0, result.stdout + result.stderr
    env.cr.rollback()
    (hidden,) = _fetch_calls(env, provider, [f"e2e-hidden-{run}"])
    assert (hidden.state, hidden.is_missed) == ("ended", True)
    assert hidden.number_hidden
    assert (hidden.from_number, hidden.customer_number) == ("anonymous", False)
    assert not hidden.callback_state and not hidden.lead_id

    # Extension 101 answers and transfers the caller to 102.
    result = _simulate(url, "--scenario", "transfer",
                       "--call-id", f"e2e-transfer-{run}")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    env.cr.rollback()
    (transferred,) = _fetch_calls(env, provider, [f"e2e-transfer-{run}"])
    first = env.ref("crm_callcenter.user_agent_linh_demo")
    second = env.ref("crm_callcenter.user_agent_oleg_demo")
    assert (transferred.state, transferred.outcome) == ("ended", "answered")
    assert (transferred.user_id, transferred.extension) == (second, "102")
    assert transferred.transferred_from_user_ids == first
    assert transferred.transfer_count == 1
    # Talk time from the first answer (8 s) to the end (90 s).
    assert transferred.billsec == 82


def test_concurrent_missed_calls_of_one_number_share_one_call_back(odoo_server, env):
    """Six missed calls of one number at once: one call-back, one activity."""
    provider = _demo_provider(env)
    url = f"{odoo_server}/callcenter/webhook/{provider.webhook_token}"
    run = uuid.uuid4().hex[:6]
    number = f"+84914{random.Random(run).randrange(10**6):06d}"
    start = datetime.now(timezone.utc).replace(microsecond=0)
    batch = []
    for index in range(6):
        data = {"call_id": f"e2e-miss-{run}-{index}", "direction": "inbound",
                "from": number, "to": "+842838123456"}  # fmt: skip
        body = json.dumps({
            "type": "call.ended",
            "timestamp": (start + timedelta(seconds=index)).isoformat(),
            "data": {**data, "started_at": start.isoformat(), "outcome": "missed"},
        }).encode()  # fmt: skip
        batch.append((f"msg_miss_{run}_{index}", body))

    def send(item):
        return _post_signed(url, *item)

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(send, batch)) == [200] * len(batch)
    _wait_for_call_backs(env, number)
    callbacks = env["crm.callcenter.callback"].search([("number", "=", number)])
    assert len(callbacks) == 1
    assert callbacks.missed_count == 6
    assert len(callbacks.call_ids) == 6
    activities = env["mail.activity"].search(
        [("res_model", "=", "crm.lead"), ("res_id", "=", callbacks.lead_id.id)]
    )
    assert len(activities) == 1
    assert "6 missed calls" in activities.summary


def test_queued_provider_answers_at_once_and_the_cron_worker_folds(odoo_server, env):
    """A queued provider: 200 before folding, then the cron worker, woken
    by the commit, folds the call without anybody running it by hand."""
    demo = _demo_provider(env)
    agent = env.ref("crm_callcenter.user_agent_linh_demo")
    provider = env["crm.callcenter.provider"].create(
        {
            "name": f"Queued center {uuid.uuid4().hex[:6]}",
            "code": "generic",
            "event_processing": "queued",
            "default_country_id": demo.default_country_id.id,
            "webhook_secret": simulate_call.DEMO_SECRET,
            "extension_ids": [(0, 0, {"name": "101", "user_id": agent.id})],
        }
    )
    env.cr.commit()
    try:
        url = f"{odoo_server}/callcenter/webhook/{provider.webhook_token}"
        call_id = f"e2e-queued-{uuid.uuid4().hex[:8]}"
        result = _simulate(url, "--call-id", call_id, "--from", "0901 234 567",
                           "--agent", "101")  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        deadline = time.monotonic() + 60
        while True:
            env.cr.rollback()
            calls = _fetch_calls(env, provider, [call_id])
            if calls and calls.state == "ended":
                break
            assert time.monotonic() < deadline, "the queue was not processed"
            time.sleep(0.2)
        assert calls.outcome == "answered"
        assert calls.partner_id == env.ref("crm_callcenter.res_partner_an_demo")
        assert calls.user_id == agent
        events = env["crm.callcenter.event"].search([("provider_id", "=", provider.id)])
        assert set(events.mapped("state")) == {"done"}
    finally:
        env.cr.rollback()
        provider.active = False
        env.cr.commit()
