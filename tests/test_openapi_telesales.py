"""crm_telesales' OpenAPI description (task API, dialer push) tells the truth.

Its examples go through the real intake, the targets they create answer
what the spec says, the batches Odoo pushes to a center's dialer match it,
and a real two-worker Odoo's answers to real API keys validate against it.
(That the file is valid OpenAPI and its examples match their schemas is
checked with crm_callcenter's, in test_openapi.py.)
"""

import json
import uuid

from openapi_spec import OpenApiSpec, http_get, http_post

import odoo
from odoo.tests.common import get_db_name

TS = OpenApiSpec("crm_telesales")
TARGETS = "/telesales/api/v1/campaigns/{campaign_id}/targets"
TARGET = "/telesales/api/v1/campaigns/{campaign_id}/targets/{external_ref}"
CAMPAIGN = "crm_telesales.crm_telesales_campaign_loans_demo"


def _items(example):
    value = example["value"]
    return value["targets"] if isinstance(value, dict) else value


def test_the_request_examples_are_taken_by_the_intake(env):
    campaign = env.ref(CAMPAIGN)
    Target = env["crm.telesales.target"].with_company(campaign.company_id)
    examples = TS.request_examples(TARGETS, "post")
    assert set(examples) == {"list", "wrapped"}
    for name, example in examples.items():
        with env.cr.savepoint(flush=False) as savepoint:
            items = _items(example)
            results = Target._intake(campaign, items)
            assert [r["status"] for r in results] == ["created"] * len(items), (
                name,
                results,
            )
            for result in results:
                assert TS.errors(TS.schema("TargetResult"), result) == []
            targets = Target.browse([r["id"] for r in results])
            for target in targets:
                status = json.loads(json.dumps(target._api_status()))
                assert TS.errors(TS.schema("TargetStatus"), status) == [], status
            batch = {
                "campaign": {"ref": campaign._dialer_ref(), "name": campaign.name},
                "tasks": targets._prepare_dialer_tasks(),
            }
            batch = json.loads(json.dumps(batch))
            assert TS.errors(TS.schema("TaskBatch"), batch) == [], batch
            savepoint.rollback()
        env.invalidate_all()


def test_the_schema_refuses_what_the_intake_refuses(env):
    campaign = env.ref(CAMPAIGN)
    Target = env["crm.telesales.target"].with_company(campaign.company_id)
    refused = [
        {"name": "no number"},
        {"phone": "", "name": "empty number"},
        {"number": "+905321234567", "payload": ["not", "an", "object"]},
        {"number": "+905321234567", "priority": "high"},
        {"number": "+905321234567", "not_before": 20261201},
        {"number": "+905321234567", "agent": ["agent1"]},
        "+905321234567",
    ]
    with env.cr.savepoint(flush=False) as savepoint:
        results = Target._intake(campaign, refused)
        savepoint.rollback()
    env.invalidate_all()
    assert [r["status"] for r in results] == ["error"] * len(refused), results
    for item in refused:
        assert TS.errors(TS.schema("Target"), item), f"the schema allows {item}"


def _committed_api_key(login="admin"):
    """An API key the server sees (committed); removed by the caller."""
    registry = odoo.modules.registry.Registry(get_db_name())
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        user = env["res.users"].search([("login", "=", login)])
        key = (
            env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate(None, "openapi test", None)
        )
        key_id = env["res.users.apikeys"].search(
            [("name", "=", "openapi test"), ("user_id", "=", user.id)],
            order="id desc",
            limit=1,
        )
        return key, key_id.id


def _remove(key_id, campaign_id, refs):
    registry = odoo.modules.registry.Registry(get_db_name())
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["res.users.apikeys"].browse(key_id).unlink()
        env["crm.telesales.target"].search(
            [("campaign_id", "=", campaign_id), ("external_ref", "in", refs)]
        ).unlink()


def test_the_server_answers_as_the_spec_says(odoo_server, env):
    campaign = env.ref(CAMPAIGN)
    base = f"{odoo_server}/telesales/api/v1/campaigns/{campaign.id}/targets"
    ref = f"OAS-{uuid.uuid4().hex[:8]}"
    key, key_id = _committed_api_key()
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    try:
        item = {**_items(TS.request_examples(TARGETS, "post")["list"])[0]}
        item["external_ref"] = ref
        answers = [
            (TARGETS, "post", http_post(base, json=[item], headers=auth)),
            (TARGETS, "post", http_post(base, json={"targets": []}, headers=auth)),
            (TARGETS, "post", http_post(base, json=[item])),
            (
                TARGETS,
                "post",
                http_post(
                    base.replace(f"/{campaign.id}/", "/999999/"),
                    json=[item],
                    headers=auth,
                ),
            ),
            (TARGET, "get", http_get(f"{base}/{ref}", headers=auth)),
            (TARGET, "get", http_get(f"{base}/{ref}-unknown", headers=auth)),
        ]
        statuses = [response.status_code for _path, _method, response in answers]
        assert statuses == [200, 400, 401, 404, 200, 404], [
            r.text for _p, _m, r in answers
        ]
        for path, method, response in answers:
            assert TS.answer_errors(path, method, response) == [], response.text
        assert answers[0][2].json()["results"][0]["status"] == "created"
        assert answers[4][2].json()["external_ref"] == ref
    finally:
        _remove(key_id, campaign.id, [ref])
