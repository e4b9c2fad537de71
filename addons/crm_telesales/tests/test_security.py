from odoo.addons.crm_callcenter.tests.common import SECRET, CallcenterCase
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged


@tagged("post_install", "-at_install")
class TestTelesalesAccess(CallcenterCase):
    """Agent A works in campaign *Loans* only, agent B in *Insurance* only
    (through its sales team); the manager sees both."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Campaign = cls.env["crm.telesales.campaign"]
        cls.team = cls.env["crm.team"].create(
            {"name": "Insurance desk", "member_ids": [(6, 0, cls.agent_b.ids)]}
        )
        cls.loans = Campaign.create(
            {
                "name": "Loans",
                "provider_id": cls.provider.id,
                "user_ids": [(6, 0, cls.agent.ids)],
                "window_ids": [(0, 0, {"weekday": "0"})],
            }
        )
        cls.insurance = Campaign.create(
            {
                "name": "Insurance",
                "provider_id": cls.provider.id,
                "team_id": cls.team.id,
            }
        )
        Target = cls.env["crm.telesales.target"]
        cls.loan_target = Target.create(
            {"campaign_id": cls.loans.id, "phone": "0903777001"}
        )
        cls.insurance_target = Target.create(
            {"campaign_id": cls.insurance.id, "phone": "0903777002"}
        )

    def visible(self, user, model, records):
        return self.env[model].with_user(user).search([("id", "in", records.ids)])

    def test_agents_see_only_their_campaigns_and_targets(self):
        both = self.loans | self.insurance
        self.assertEqual(
            self.visible(self.agent, "crm.telesales.campaign", both), self.loans
        )
        self.assertEqual(
            self.visible(self.agent_b, "crm.telesales.campaign", both), self.insurance
        )
        targets = self.loan_target | self.insurance_target
        self.assertEqual(
            self.visible(self.agent, "crm.telesales.target", targets), self.loan_target
        )
        with self.assertRaises(AccessError):
            self.insurance.with_user(self.agent).read(["name"])
        with self.assertRaises(AccessError):
            self.insurance_target.with_user(self.agent).read(["phone"])
        with self.assertRaises(AccessError):
            self.insurance_target.with_user(self.agent).write({"result_note": "x"})
        # Their own targets: read and write (wrap-up notes), not create/delete.
        self.loan_target.with_user(self.agent).write({"result_note": "Asked for email"})
        self.assertEqual(self.loan_target.result_note, "Asked for email")
        Target = self.env["crm.telesales.target"].with_user(self.agent)
        with self.assertRaises(AccessError):
            Target.create({"campaign_id": self.loans.id, "phone": "0903777003"})
        with self.assertRaises(AccessError):
            self.loan_target.with_user(self.agent).unlink()
        # Calling windows of their campaign: read only.
        self.assertTrue(self.loans.with_user(self.agent).window_ids.weekday)
        with self.assertRaises(AccessError):
            self.loans.window_ids.with_user(self.agent).write({"hour_to": 23})

    def test_agents_cannot_create_or_change_campaigns(self):
        Campaign = self.env["crm.telesales.campaign"].with_user(self.agent)
        with self.assertRaises(AccessError):
            Campaign.create({"name": "Mine", "provider_id": self.provider.id})
        with self.assertRaises(AccessError):
            self.loans.with_user(self.agent).write({"max_attempts": 9})
        with self.assertRaises(AccessError):
            self.loans.with_user(self.agent).unlink()

    def test_manager_sees_and_manages_all(self):
        both = self.loans | self.insurance
        self.assertEqual(
            self.visible(self.manager, "crm.telesales.campaign", both), both
        )
        targets = self.loan_target | self.insurance_target
        self.assertEqual(
            self.visible(self.manager, "crm.telesales.target", targets), targets
        )
        campaign = (
            self.env["crm.telesales.campaign"]
            .with_user(self.manager)
            .create({"name": "Cards", "provider_id": self.provider.id})
        )
        self.assertEqual(campaign.utm_campaign_id.name, "Cards")
        target = (
            self.env["crm.telesales.target"]
            .with_user(self.manager)
            .create({"campaign_id": campaign.id, "phone": "0903777004"})
        )
        target.unlink()
        campaign.unlink()

    def test_users_without_call_center_rights_see_nothing(self):
        salesman = new_test_user(
            self.env, login="ts_salesman", groups="sales_team.group_sale_salesman"
        )
        for model in ("crm.telesales.campaign", "crm.telesales.target"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(salesman).search([])

    def test_multi_company(self):
        company_2 = self.env["res.company"].create({"name": "Branch"})
        provider_2 = self.env["crm.callcenter.provider"].create(
            {
                "name": "Branch Center",
                "code": "generic",
                "company_id": company_2.id,
                "default_country_id": self.vn.id,
                "webhook_secret": SECRET,
            }
        )
        self.agent.company_ids |= company_2
        branch = self.env["crm.telesales.campaign"].create(
            {
                "name": "Branch loans",
                "provider_id": provider_2.id,
                "company_id": company_2.id,
                "user_ids": [(6, 0, self.agent.ids)],
            }
        )
        branch_target = self.env["crm.telesales.target"].create(
            {"campaign_id": branch.id, "phone": "0903777005"}
        )
        self.assertEqual(branch_target.company_id, company_2)
        # A manager of the main company only never sees the branch.
        self.assertFalse(self.visible(self.manager, "crm.telesales.campaign", branch))
        self.assertFalse(
            self.visible(self.manager, "crm.telesales.target", branch_target)
        )
        # An agent of both sees it only with the branch among their companies.
        Campaign = self.env["crm.telesales.campaign"].with_user(self.agent)
        ids = (self.loans | branch).ids
        self.assertEqual(
            Campaign.with_context(allowed_company_ids=[self.env.company.id]).search(
                [("id", "in", ids)]
            ),
            self.loans,
        )
        self.assertEqual(
            Campaign.with_context(
                allowed_company_ids=[self.env.company.id, company_2.id]
            ).search([("id", "in", ids)]),
            self.loans | branch,
        )
