from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoCampaign(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.campaign = cls.env.ref(
            "crm_telesales.crm_telesales_campaign_loans_demo", raise_if_not_found=False
        )

    def test_the_demo_campaign_has_figures(self):
        if not self.campaign:
            self.skipTest("demo data not installed")
        self.assertEqual(self.campaign.state, "running")
        self.assertEqual(self.campaign.user_ids.mapped("login"), ["agent1", "agent2"])
        self.assertEqual(len(self.campaign.window_ids), 6)  # Monday to Saturday
        targets = self.campaign.target_ids
        self.assertEqual(
            targets.filtered(lambda t: t.state == "do_not_call").external_ref,
            "LN-2026-10588",
        )
        self.assertTrue(all(t.payload.get("application_no") for t in targets))
        data = self.campaign.get_report_data("2000-01-01", "2100-12-31", "agent")
        totals = data["totals"]
        self.assertGreaterEqual(totals["attempts"], 8)
        self.assertGreaterEqual(totals["success"], 2)
        self.assertGreater(totals["talk_seconds"], 0)
        self.assertIn("USD", [cost["currency"] for cost in totals["costs"]])
        self.assertLessEqual(
            {"Linh Nguyen (Agent)", "Oleg Smirnov (Agent)"},
            {group["label"] for group in data["groups"]},
        )
        draft = self.env.ref("crm_telesales.crm_telesales_campaign_verify_demo")
        self.assertEqual((draft.mode, draft.state), ("push", "draft"))
