"""Send Test Event and the caller lookup against a real two-worker Odoo."""

import time
import xmlrpc.client
from urllib.parse import urlencode

import requests

from odoo.addons.crm_callcenter.tools import signature
from odoo.tests.common import get_db_name

DEMO_SECRET = "whsec_ZGVtby1vbmx5LXNlY3JldC1jaGFuZ2UtaXQtbm93ISE="
OTHER_SECRET = "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="


def _demo_provider(env):
    return env.ref("crm_callcenter.crm_callcenter_provider_generic_demo")


def test_send_test_event_posts_to_the_server_itself(odoo_server, env):
    """The button as the web client calls it: one worker serves the click,
    the other the test request it posts to the public URL."""
    params = env["ir.config_parameter"]
    old_base_url = params.get_param("web.base.url")
    params.set_param("web.base.url", odoo_server)
    env.cr.commit()
    # The workers cache system parameters: tell them it changed.
    env.registry.signal_changes()
    try:
        provider = _demo_provider(env)
        common = xmlrpc.client.ServerProxy(f"{odoo_server}/xmlrpc/2/common")
        uid = common.authenticate(get_db_name(), "admin", "admin", {})
        models = xmlrpc.client.ServerProxy(
            f"{odoo_server}/xmlrpc/2/object", allow_none=True
        )
        action = models.execute_kw(
            get_db_name(),
            uid,
            "admin",
            "crm.callcenter.provider",
            "action_send_test_event",
            [[provider.id]],
        )
    finally:
        env.cr.rollback()
        params.set_param("web.base.url", old_base_url)
        env.cr.commit()
        env.registry.signal_changes()
    assert action["params"]["type"] == "success", action["params"]["message"]
    assert action["params"]["message"] == 'HTTP 200: {"status": "ok"}'
    env.invalidate_all()
    assert provider.last_test_ok
    event = env["crm.callcenter.event"].search(
        [("provider_id", "=", provider.id)], order="id desc", limit=1
    )
    assert event.dedup_key.startswith("msg_odoo-test-")
    assert event.state == "ignored"
    assert not event.call_id


def test_refused_test_result_is_kept_beside_the_rejection_count(odoo_server, env):
    """A refused test request counts on the provider's row in the webhook's
    transaction; the test result, written after it from an older snapshot,
    must not fail on that row (Odoo would retry and send the test again)."""
    provider = _demo_provider(env)
    rejected = provider.rejected_count  # this transaction's snapshot starts
    url = f"{odoo_server}/callcenter/webhook/{provider.webhook_token}"
    config = dict(provider._get_adapter_config(), webhook_secret=OTHER_SECRET)
    body, headers = provider._get_adapter().sample_request(
        config, url, int(time.time())
    )
    action = provider._post_test_request(url, body, headers)
    assert action["params"]["message"].startswith("HTTP 401: ")
    env.cr.rollback()  # a new snapshot sees both committed writes
    env.invalidate_all()
    assert provider.rejected_count == rejected + 1
    assert provider.last_test_result.startswith("HTTP 401: ")
    assert not provider.last_test_ok


def test_lookup_of_the_demo_customer(odoo_server, env):
    provider = _demo_provider(env)
    target = f"/callcenter/lookup/{provider.webhook_token}?" + urlencode(
        {"number": "+84901234567"}
    )
    msg_id, stamp = "msg_e2e_lookup", str(int(time.time()))
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": signature.sign(
            DEMO_SECRET, msg_id, stamp, target.encode()
        ),
    }
    response = requests.get(odoo_server + target, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["found"] is True
    assert answer["partner_id"] == env.ref("crm_callcenter.res_partner_an_demo").id
    assert answer["name"] == "Nguyễn Văn An"
    assert answer["vip"] is True, "the demo company's VIP tag"
