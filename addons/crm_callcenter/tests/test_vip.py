from odoo.tests import tagged

from .common import CallcenterCase


@tagged("post_install", "-at_install")
class TestVipCallers(CallcenterCase):
    """VIP tags of the company: the call, its card and the call list."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tag = cls.env["res.partner.category"]
        cls.vip_tag = Tag.create({"name": "Key Account"})
        cls.other_tag = Tag.create({"name": "Newsletter"})
        cls.customer_company = cls.env["res.partner"].create(
            {"name": "Công ty Ánh Dương", "is_company": True}
        )

    def set_vip_tags(self, tags):
        self.env["res.config.settings"].create(
            {"callcenter_vip_tag_ids": [(6, 0, tags.ids)]}
        ).execute()

    def ring(self, call_id):
        self.feed([self.center.event("call.ringing", call_id, agent="101")])
        return self.get_call(call_id)

    def test_no_vip_tags_no_vip(self):
        self.set_vip_tags(self.env["res.partner.category"])
        self.partner.category_id = self.vip_tag
        call = self.ring("vip-none")
        self.assertEqual(call.partner_id, self.partner)
        self.assertFalse(call.vip)
        self.assertFalse(self.bus_payloads(self.agent)[-1]["vip"])

    def test_a_tagged_contact_is_a_vip_on_the_card_and_in_the_list(self):
        self.set_vip_tags(self.vip_tag)
        self.partner.category_id = self.other_tag
        plain = self.ring("vip-plain")
        self.assertFalse(plain.vip)
        self.assertFalse(self.bus_payloads(self.agent)[-1]["vip"])

        self.partner.category_id |= self.vip_tag
        call = self.ring("vip-tagged")
        self.assertTrue(call.vip)
        self.assertTrue(self.bus_payloads(self.agent)[-1]["vip"])
        # It follows the tags: the earlier call is a VIP call now too.
        plain.invalidate_recordset(["vip"])
        self.assertTrue(plain.vip)

        Call = self.env["crm.callcenter.call"]
        mine = [("provider_id", "=", self.provider.id)]
        self.assertEqual(Call.search([*mine, ("vip", "=", True)]), call | plain)
        self.partner.category_id = self.other_tag
        self.assertFalse(Call.search([*mine, ("vip", "=", True)]))
        self.assertEqual(Call.search([*mine, ("vip", "=", False)]), call | plain)

    def test_the_contacts_company_makes_its_people_vips(self):
        self.set_vip_tags(self.vip_tag)
        self.partner.parent_id = self.customer_company
        self.customer_company.category_id = self.vip_tag
        call = self.ring("vip-company")
        self.assertTrue(call.vip)
        self.assertEqual(
            self.env["crm.callcenter.call"].search(
                [("provider_id", "=", self.provider.id), ("vip", "=", True)]
            ),
            call,
        )

    def test_changing_the_tags_applies_at_once(self):
        """The company's tags are cached for the screen pop: a change in the
        settings is seen by the next call."""
        self.set_vip_tags(self.vip_tag)
        self.partner.category_id = self.other_tag
        self.assertFalse(self.ring("vip-before").vip)
        self.set_vip_tags(self.other_tag)
        self.assertTrue(self.ring("vip-after").vip)
        self.set_vip_tags(self.env["res.partner.category"])
        self.assertFalse(self.ring("vip-removed").vip)
