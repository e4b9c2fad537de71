"""Any target list the published schema allows gets an answer per item.

Items are generated from ``TargetList`` of the task API's OpenAPI
description (hypothesis-jsonschema, derandomized). A valid item may still be
refused for what a schema cannot say (a number that is no phone number, an
agent outside the campaign); but the intake must answer each item, created,
updated or error with its reason, and never fail the whole request (a 500).
What it creates answers ``TargetStatus`` of the same description.

It once found ``"name": false`` and ``"external_ref": false`` in that answer,
and a 500 for a priority beyond 32 bits, a ``not_before`` whose UTC falls
after year 9999, and a NUL in any text: the examples below (some outside the
schema: the intake also reads spreadsheets).
"""

from hypothesis import example, given
from openapi_spec import OpenApiSpec, generated, repeatable

SPEC = OpenApiSpec("crm_telesales")
CAMPAIGN = "crm_telesales.crm_telesales_campaign_loans_demo"


def test_schema_valid_targets_get_an_answer_each(env):
    campaign = env.ref(CAMPAIGN)
    Target = env["crm.telesales.target"].with_company(campaign.company_id)
    statuses = set()

    @repeatable(100)
    @given(generated(SPEC, "TargetList").map(lambda items: items[:5]))
    @example([{"number": "0912 000 333", "priority": 2**40}])
    @example([{"number": "0912 000 333", "priority": -(2**40)}])
    @example([{"number": "0912 000 333", "name": "A", "lang": "xx_XX"}])
    @example([{"number": "0912 000 333", "name": "A", "email": "not an e-mail"}])
    @example([{"number": "0912 000 333", "not_before": "0001-01-01T00:00:00Z"}])
    @example([{"number": "0912 000 333", "not_before": "9999-12-31T23:59:59-23:59"}])
    @example([{"number": "0912\x00000 333", "name": "A\x00", "external_ref": "\x00"}])
    @example([{"number": "1" * 1024}])
    def intake(items):
        with env.cr.savepoint(flush=False) as savepoint:
            results = Target._intake(campaign, items)
            env.flush_all()
            assert [result["index"] for result in results] == list(range(len(items)))
            for result in results:
                statuses.add(result["status"])
                assert not SPEC.errors(SPEC.schema("TargetResult"), result)
                if result["status"] == "error":
                    assert result["error"]
                    continue
                target = Target.browse(result["id"])
                assert not SPEC.errors(
                    SPEC.schema("TargetStatus"), target._api_status()
                )
            savepoint.rollback()
        env.invalidate_all()

    intake()
    assert {"created", "error"} <= statuses
