"""Any delivery report the published schema allows is read and applied.

Reports are generated from ``DeliveryReport`` of the SMS OpenAPI description
(hypothesis-jsonschema, derandomized): each must parse (no 400) and, for a
message sent with that id, leave it in the state the report names; a failure
keeps a reason. Text with NUL is stored as U+FFFD.
"""

import json

from hypothesis import example, given
from openapi_spec import OpenApiSpec, generated, repeatable

from odoo.addons.crm_callcenter.tools.storable import without_nul
from odoo.addons.crm_callcenter_sms.tools.http_gateway import HttpGatewayClient

SPEC = OpenApiSpec("crm_callcenter_sms")
GATEWAY = "crm_callcenter_sms.crm_callcenter_sms_gateway_http_demo"


def test_schema_valid_reports_are_applied(env):
    gateway = env.ref(GATEWAY)
    Log = env["crm.callcenter.sms.log"]
    states = set()

    @repeatable(100)
    @given(generated(SPEC, "DeliveryReport"))
    @example({"type": "sms.failed", "data": {"id": "4\x002", "error": "a\x00b"}})
    def report(doc):
        message_id, status = HttpGatewayClient.parse_callback(json.dumps(doc))
        with env.cr.savepoint(flush=False) as savepoint:
            log = Log.create(
                {
                    "number": "+79161234567",
                    "gateway_id": gateway.id,
                    "provider_message_id": without_nul(message_id),
                }
            )
            log.write({"state": "sent"})
            found = gateway._find_log(message_id)
            assert found == log
            found._apply_status(status)
            env.flush_all()
            expected = "sent" if status.state == "sent" else status.state
            assert log.state == expected
            if expected == "failed":
                assert log.failure_reason
                assert "\x00" not in log.failure_reason
            states.add(expected)
            savepoint.rollback()
        env.invalidate_all()

    report()
    assert states == {"sent", "delivered", "failed"}
