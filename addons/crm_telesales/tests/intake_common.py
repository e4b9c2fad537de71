"""Fixtures of the targets-in-and-out tests: a generic center with two
agents, a known customer, a campaign, and a manager with an API key."""

import json
from contextlib import contextmanager

import responses

from odoo.addons.crm_callcenter.tests.common import (
    SECRET,
    FakeContactCenter,
    make_center,
)
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

# Loopback, so that HttpCase lets the request through to `responses`; port 9
# (discard) refuses connections should anything escape the fake.
DIALER_URL = "http://127.0.0.1:9/cc-test/tasks"
CUSTOMER = "+84903555111"  # self.partner's number, stored as "0903 555 111"


class TelesalesIntakeCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vn = cls.env.ref("base.vn")
        cls.provider, cls.agent, cls.agent_b, cls.partner = make_center(
            cls.env,
            {
                "name": "Telesales Center",
                "code": "generic",
                "default_country_id": cls.vn.id,
                "webhook_secret": SECRET,
                "request_timeout": 7,
            },
            ("ts_agent_a", "Agent A"),
            ("ts_agent_b", "Agent B"),
            {
                "name": "Trần Văn Khách",
                "phone": "0903 555 111",
                "country_id": cls.vn.id,
            },
        )
        cls.manager = new_test_user(
            cls.env,
            login="ts_manager",
            name="Telesales Manager",
            groups="crm_callcenter.crm_callcenter_group_manager",
        )
        cls.campaign = cls.env["crm.telesales.campaign"].create(
            {
                "name": "Loan portal tasks",
                "provider_id": cls.provider.id,
                "mode": "push",
                "user_ids": [(6, 0, cls.agent.ids)],
                "max_attempts": 3,
            }
        )
        cls.center = FakeContactCenter()
        cls.Target = cls.env["crm.telesales.target"]

    def targets(self, campaign=None):
        return self.Target.search(
            [("campaign_id", "=", (campaign or self.campaign).id)]
        )

    @contextmanager
    def fake_dialer(self, *answers, url=DIALER_URL, passthru=()):
        """The center's dialer API answering ``answers`` in turn (the last one
        repeats). An answer is ``{"status", "json" | "body"}`` or a callable
        ``(doc) -> answer`` given the posted JSON; a body that is an exception
        is raised. Yields the list of ``(request, doc)`` it received."""
        received = []
        pending = list(answers)

        def dialer(request):
            doc = json.loads(request.body)
            received.append((request, doc))
            answer = pending.pop(0) if len(pending) > 1 else pending[0]
            if callable(answer):
                answer = answer(doc)
            body = answer.get("body", "")
            if isinstance(body, Exception):
                raise body
            if "json" in answer:
                body = json.dumps(answer["json"])
            return answer.get("status", 200), {"Content-Type": "application/json"}, body

        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            for prefix in passthru:
                rsps.add_passthru(prefix)
            rsps.add_callback(responses.POST, url, callback=dialer)
            yield received
