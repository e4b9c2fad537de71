from datetime import datetime, timedelta

from odoo.tests import tagged
from odoo.tests.common import freeze_time

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

    def test_the_dashboard_measures_the_vips_apart(self):
        start = datetime(2026, 3, 2, 2, 0)  # 09:00 in Ho Chi Minh City
        vip, other = "0903555111", "0912000999"  # self.partner's number

        def call(call_id, number, answer_after=None):
            at = start + timedelta(minutes=len(self.sent_calls))
            self.sent_calls.append(call_id)
            events = [self.center.event("call.ringing", call_id, at=at, from_=number)]
            if answer_after is not None:
                events.append(
                    self.center.event(
                        "call.answered",
                        call_id,
                        at=at + timedelta(seconds=answer_after),
                        agent="101",
                        from_=number,
                    )
                )
            end = at + timedelta(seconds=(answer_after or 0) + 60)
            events.append(
                self.center.event("call.ended", call_id, at=end, from_=number)
            )
            self.feed(events)

        def dashboard():
            Call = self.env["crm.callcenter.call"].with_user(self.manager)
            with freeze_time(start + timedelta(hours=2)):
                return Call.with_context(tz="Asia/Ho_Chi_Minh").get_dashboard_data(
                    "2026-03-02", "2026-03-02"
                )

        self.sent_calls = []
        self.partner.category_id = self.vip_tag
        call("dash-vip-fast", vip, answer_after=12)  # within the 20 s level
        call("dash-vip-slow", vip, answer_after=45)
        call("dash-vip-missed", vip)
        call("dash-other", other, answer_after=5)
        call("dash-other-missed", other)

        self.set_vip_tags(self.env["res.partner.category"])
        data = dashboard()
        self.assertFalse(data["vip_tags"])
        self.assertEqual(data["totals"]["vip_offered"], 0)
        self.assertIsNone(data["totals"]["vip_answer_rate"])

        self.set_vip_tags(self.vip_tag)
        data = dashboard()
        totals = data["totals"]
        self.assertTrue(data["vip_tags"])
        self.assertEqual(totals["calls_in"], 5)
        self.assertEqual(
            (
                totals["vip_offered"],
                totals["vip_answered"],
                totals["vip_within_service_level"],
            ),
            (3, 2, 1),
        )
        self.assertAlmostEqual(totals["vip_answer_rate"], 2 / 3)
        self.assertAlmostEqual(totals["vip_service_level"], 1 / 3)
        # The tile opens the same calls.
        Call = self.env["crm.callcenter.call"]
        shown = Call.search(
            [*data["domain"], ("direction", "=", "inbound"), ("vip", "=", True)]
        )
        self.assertEqual(
            sorted(shown.mapped("external_call_id")),
            ["dash-vip-fast", "dash-vip-missed", "dash-vip-slow"],
        )
        # Per agent: the VIP calls answered by Agent A.
        (agent_row,) = [g for g in data["groups"] if g["label"] == self.agent.name]
        self.assertEqual(agent_row["vip_answered"], 2)
