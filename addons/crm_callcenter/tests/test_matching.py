from unittest.mock import patch

from odoo.tests import tagged

from ..models import crm_callcenter_call as call_module
from .common import CallcenterCase


@tagged("post_install", "-at_install")
class TestCallerMatching(CallcenterCase):
    """Seed 000/002: one customer per number, an open lead wins, then a contact."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]
        cls.Lead = cls.env["crm.lead"]

    def ring(self, call_id, number, **kwargs):
        self.feed([self.center.event("call.ringing", call_id, from_=number, **kwargs)])
        return self.get_call(call_id)

    def test_every_number_format_finds_the_contact(self):
        formats = ["+84903555111", "84903555111", "0903555111", "00 84 90 355 5111"]
        for index, raw in enumerate(formats):
            with self.subTest(raw=raw):
                call = self.ring(f"match-fmt-{index}", raw)
                self.assertEqual(call.partner_id, self.partner)

    def test_russian_trunk_prefix_and_dialout_prefix(self):
        ru = self.env.ref("base.ru")
        ivan = self.Partner.create(
            {"name": "Иван", "phone": "+7 912 345-67-89", "country_id": ru.id}
        )
        self.provider.write({"default_country_id": ru.id, "dialout_prefix": "9"})
        self.assertEqual(self.ring("match-ru", "8 (912) 345-67-89").partner_id, ivan)
        outbound = [
            self.center.event("call.ringing", "match-out", direction="outbound",
                              from_="101", to="9 8 912 345 67 89", agent="101"),
        ]  # fmt: skip
        self.feed(outbound)
        self.assertEqual(self.get_call("match-out").partner_id, ivan)

    def test_open_lead_wins_over_contact_most_recent_first(self):
        older = self.Lead.create({"name": "Old request", "phone": "0903555111",
                                  "country_id": self.vn.id})  # fmt: skip
        newer = self.Lead.create({"name": "New request", "phone": "+84 90 355 51 11",
                                  "country_id": self.vn.id})  # fmt: skip
        self.env.cr.execute(
            "UPDATE crm_lead SET write_date = now() - interval '1 day' WHERE id = %s",
            [older.id],
        )
        older.invalidate_recordset()
        call = self.ring("match-lead", "0903555111")
        self.assertEqual(call.lead_id, newer)
        self.assertEqual(call.partner_id, self.partner, "the contact is kept too")
        self.assertEqual(call.candidate_lead_ids, older)

    def test_lost_and_archived_come_last(self):
        lost = self.Lead.create({"name": "Lost deal", "phone": "0903555111",
                                 "country_id": self.vn.id})  # fmt: skip
        lost.action_set_lost()
        call = self.ring("match-lost", "0903555111")
        self.assertFalse(call.lead_id, "a lost lead does not beat a contact")
        self.assertEqual(call.partner_id, self.partner)
        # Archived candidates stay listed (shown with the archived records).
        self.assertEqual(call.with_context(active_test=False).candidate_lead_ids, lost)

        self.partner.action_archive()
        call = self.ring("match-only-lost", "0903555111")
        self.assertEqual(call.lead_id, lost, "better a lost lead than nothing")

    def test_contact_of_a_company_before_the_company(self):
        company = self.Partner.create({"name": "ACME Việt Nam", "is_company": True,
                                       "phone": "028 3812 3456",
                                       "country_id": self.vn.id})  # fmt: skip
        person = self.Partner.create({"name": "Phạm Hùng", "parent_id": company.id,
                                      "phone": "028 3812 3456",
                                      "country_id": self.vn.id})  # fmt: skip
        company.write({"name": "ACME Việt Nam JSC"})  # the company is more recent
        call = self.ring("match-company", "+842838123456")
        self.assertEqual(call.partner_id, person)
        self.assertEqual(call.candidate_partner_ids, company)

    def test_several_contacts_are_offered(self):
        twin = self.Partner.create({"name": "Nguyễn Thị Test (2)", "phone": "0903555111",
                                    "country_id": self.vn.id})  # fmt: skip
        call = self.ring("match-twins", "0903555111")
        self.assertEqual(
            call.partner_id | call.candidate_partner_ids, self.partner | twin
        )
        self.assertEqual(len(call.candidate_partner_ids), 1)

    def test_unknown_number_matches_nothing_and_creates_nobody(self):
        partners_before = self.Partner.search_count([])
        call = self.ring("match-none", "+84 938 000 999")
        self.assertFalse(call.partner_id or call.lead_id or call.candidate_partner_ids)
        self.assertEqual(self.Partner.search_count([]), partners_before)

    def test_unsanitized_numbers_fall_back_to_core_search(self):
        legacy = self.Partner.create({"name": "Legacy", "country_id": self.vn.id})
        # Stored raw, as an import bypassing the ORM would leave it.
        self.env.cr.execute(
            "UPDATE res_partner SET phone = '+84938777666', phone_sanitized = NULL"
            " WHERE id = %s",
            [legacy.id],
        )
        legacy.invalidate_recordset()
        self.assertEqual(self.ring("match-legacy", "0938 777 666").partner_id, legacy)

    def test_records_of_another_company_are_not_candidates(self):
        other = self.env["res.company"].create({"name": "Other Center"})
        self.Partner.create({"name": "Theirs", "phone": "0903555111",
                             "company_id": other.id,
                             "country_id": self.vn.id})  # fmt: skip
        self.Lead.create({"name": "Their lead", "phone": "0903555111",
                          "company_id": other.id,
                          "country_id": self.vn.id})  # fmt: skip
        call = self.ring("match-other-company", "0903555111")
        self.assertEqual(call.partner_id, self.partner, "a shared contact matches")
        self.assertFalse(call.lead_id or call.candidate_lead_ids)
        self.assertFalse(call.candidate_partner_ids)

    def test_a_widely_shared_number_is_ranked_the_same_in_sql(self):
        """Past MATCH_SCAN rows of one number the ranking moves into SQL: the
        same candidates come out in the same order."""
        Call = self.env["crm.callcenter.call"]
        vals = {"phone": "0903555111", "country_id": self.vn.id}
        acme = self.Partner.create({"name": "ACME", "is_company": True, **vals})
        staff = self.Partner.create(
            [{"name": f"Staff {i}", "parent_id": acme.id, **vals} for i in range(3)]
        )
        staff[1].action_archive()
        leads = self.Lead.create([{"name": f"Deal {i}", **vals} for i in range(3)])
        leads[0].action_set_lost()
        leads[2].action_set_won()
        self.env.flush_all()
        number = "+84903555111"
        in_python = Call._find_candidates(number, self.env.company)
        with patch.object(call_module, "MATCH_SCAN", 2):
            in_sql = Call._find_candidates(number, self.env.company)
        self.assertEqual(in_python[0].ids, in_sql[0].ids)
        self.assertEqual(in_python[1].ids, in_sql[1].ids)
        # Open lead, then won, then lost; people (newest first), the
        # company, archived last.
        self.assertEqual(in_sql[0].ids, [leads[1].id, leads[2].id, leads[0].id])
        people = sorted((self.partner | staff[0] | staff[2]).ids, reverse=True)
        self.assertEqual(in_sql[1].ids, [*people, acme.id, staff[1].id])
