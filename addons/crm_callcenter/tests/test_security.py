from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CallcenterCase, load_migration


@tagged("post_install", "-at_install")
class TestCallcenterSecurity(CallcenterCase):
    def setUp(self):
        super().setUp()
        self.feed(self.center.answered_call("sec-a", agent="101"))
        self.feed(self.center.answered_call("sec-b", agent="102"))
        self.call_a = self.get_call("sec-a")
        self.call_b = self.get_call("sec-b")

    def test_agent_reads_only_own_calls(self):
        Call = self.env["crm.callcenter.call"].with_user(self.agent)
        visible = Call.search([("external_call_id", "in", ["sec-a", "sec-b"])])
        self.assertEqual(visible, self.call_a.with_user(self.agent))
        self.call_a.with_user(self.agent).read(["from_number", "duration"])
        with self.assertRaises(AccessError):
            self.call_b.with_user(self.agent).read(["from_number"])

    def test_agent_cannot_alter_calls(self):
        with self.assertRaises(AccessError):
            self.call_a.with_user(self.agent).write({"outcome": "missed"})
        # The provider's name shows on the call; its health figures do not.
        provider = self.provider.with_user(self.agent)
        self.assertEqual(provider.read(["name"])[0]["name"], "Test Center")
        with self.assertRaises(AccessError):
            provider.read(["event_error_count"])

    def test_call_counts_follow_access(self):
        # Both calls came from the same customer; each agent counts their own.
        self.assertEqual(self.partner.with_user(self.agent).callcenter_call_count, 1)
        self.assertEqual(self.partner.with_user(self.manager).callcenter_call_count, 2)
        action = self.partner.with_user(self.manager).action_view_callcenter_calls()
        self.assertEqual(
            self.env["crm.callcenter.call"].search(action["domain"]),
            self.call_a | self.call_b,
        )

    def test_manager_reads_every_call(self):
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        self.assertEqual(
            len(Call.search([("external_call_id", "in", ["sec-a", "sec-b"])])), 2
        )

    def test_provider_secret_is_for_system_administrators(self):
        for user in (self.agent, self.manager):
            for fname in ("webhook_secret", "recording_username", "recording_password"):
                with (
                    self.subTest(user=user.login, field=fname),
                    self.assertRaises(AccessError),
                ):
                    self.provider.with_user(user).read([fname])
        with self.assertRaises(AccessError):
            self.provider.with_user(self.agent).read(["webhook_token"])
        # The manager configures the center: they see the URL, not the secret.
        self.assertIn(
            self.provider.sudo().webhook_token,
            self.provider.with_user(self.manager).webhook_url,
        )
        admin = self.env.ref("base.user_admin")
        self.assertTrue(
            self.provider.with_user(admin).webhook_secret.startswith("whsec_")
        )

    def test_agents_cannot_see_the_inbox_or_change_providers(self):
        with self.assertRaises(AccessError):
            self.env["crm.callcenter.event"].with_user(self.agent).search([])
        with self.assertRaises(AccessError):
            self.provider.with_user(self.agent).write({"name": "Hijacked"})

    def test_other_company_calls_are_hidden(self):
        other = self.env["res.company"].create({"name": "Other Center Co"})
        provider = self.env["crm.callcenter.provider"].create(
            {"name": "Other", "company_id": other.id}
        )
        self.feed(self.center.answered_call("sec-other"), provider=provider)
        call = self.get_call("sec-other", provider=provider)
        self.assertEqual(call.company_id, other)
        self.manager.company_ids = [(6, 0, [self.env.company.id])]
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        self.assertFalse(Call.search([("external_call_id", "=", "sec-other")]))

    def test_upgrade_gives_agents_the_calls_that_rang_for_them(self):
        # The rule is noupdate: 19.0.1.1.0's migration rewrites the domain
        # of databases installed before, unless someone changed it.
        migration = load_migration("19.0.1.1.0")
        rule = self.env.ref("crm_callcenter.crm_callcenter_call_rule_agent")
        rule.domain_force = "[('user_id','=',user.id)]"
        self.env.flush_all()
        migration.migrate(self.env.cr, "19.0.1.0.0")
        rule.invalidate_recordset()
        self.assertEqual(rule.domain_force, migration.NEW_DOMAIN)
        # With it, the second agent a ring group rang sees the call.
        self.feed(
            [
                self.center.event("call.ringing", "sec-rg", agent=ext)
                for ext in ("101", "102")
            ]
        )
        call = self.get_call("sec-rg")
        self.assertEqual(call.user_id, self.agent)
        self.assertTrue(call.with_user(self.agent_b).has_access("read"))

        custom = "[('user_id', '=', user.id), ('state', '!=', 'ringing')]"
        rule.domain_force = custom
        self.env.flush_all()
        migration.migrate(self.env.cr, "19.0.1.0.0")
        rule.invalidate_recordset()
        self.assertEqual(rule.domain_force, custom, "a customized rule is left alone")
