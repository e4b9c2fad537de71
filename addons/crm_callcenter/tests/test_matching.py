from unittest.mock import patch

from odoo.addons.phone_validation.models.mail_thread_phone import PHONE_REGEX_PATTERN
from odoo.tests import tagged

from .. import uninstall_hook
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

    def _legacy_partner(self, raw):
        """A contact whose number is stored raw, without phone_sanitized
        (an import that bypassed the ORM)."""
        legacy = self.Partner.create({"name": "Legacy", "country_id": self.vn.id})
        self.env.cr.execute(
            "UPDATE res_partner SET phone = %s, phone_sanitized = NULL WHERE id = %s",
            [raw, legacy.id],
        )
        legacy.invalidate_recordset()
        return legacy

    def test_the_lookup_function_returns_what_its_queries_return(self):
        """The database function keeps the plans of the lookup's queries; it
        must give the very rows they give: the phone_sanitized matches, else
        the raw numbers without one."""
        vals = {"phone": "0903555111", "country_id": self.vn.id}
        acme = self.Partner.create({"name": "ACME", "is_company": True, **vals})
        archived = self.Partner.create({"name": "Gone", **vals})
        archived.action_archive()
        leads = self.Lead.create([{"name": f"Deal {i}", **vals} for i in range(3)])
        leads[0].action_set_lost()
        leads[1].action_set_won()
        leads[2].partner_id = acme
        legacy = self._legacy_partner("+84 938-777.666")
        self.env.flush_all()
        exact, _ranked, unsanitized = self.env["crm.callcenter.call"]._match_queries()
        cr = self.env.cr

        def by_function(number):
            cr.execute(f"SELECT * FROM {call_module.MATCH_FUNCTION}(%s, 200)", [number])
            return sorted(cr.fetchall())

        def by_queries(number):
            cr.execute(exact, {"number": number, "scan": 200})
            rows = [(*row, True) for row in cr.fetchall()]
            if not rows:
                params = {"plus": number, "zeros": "00" + number[1:], "scan": 200}
                cr.execute(unsanitized, {**params, "pattern": PHONE_REGEX_PATTERN})
                rows = [(*row, False) for row in cr.fetchall()]
            return sorted(rows)

        shared = by_function("+84903555111")
        self.assertEqual(shared, by_queries("+84903555111"))
        self.assertEqual(
            {row[:2] for row in shared},
            {("crm.lead", lead.id) for lead in leads}
            | {("res.partner", p.id) for p in self.partner | acme | archived},
        )
        self.assertTrue(all(row[8] for row in shared), "matched phone_sanitized")
        raw = by_function("+84938777666")
        self.assertEqual(raw, by_queries("+84938777666"))
        self.assertEqual([row[:2] for row in raw], [("res.partner", legacy.id)])
        self.assertFalse(raw[0][8], "matched the raw number")
        self.assertEqual(by_function("+84900000000"), [])
        self.assertEqual(by_queries("+84900000000"), [])

    def test_the_lookup_works_without_its_function(self):
        """New code started before ``-u crm_callcenter`` has no function, or
        an old one: the lookup sends its queries as text and asks for the
        update; installing a module that extends contacts (or updating this
        one) writes it again; the uninstall hook drops it."""
        Call = self.env["crm.callcenter.call"]
        legacy = self._legacy_partner("0084 938 777 666")
        self.addCleanup(setattr, type(Call), "_crm_callcenter_match_function", None)

        def lookup(number):
            type(Call)._crm_callcenter_match_function = None
            self.env.flush_all()
            sent = []
            execute = type(self.env.cr).execute

            def spy(cr, query, params=None, log_exceptions=True):
                sent.append(str(getattr(query, "code", query)))
                return execute(cr, query, params, log_exceptions)

            with patch.object(type(self.env.cr), "execute", spy):
                found = Call._find_candidates(number, self.env.company)
            used = any(call_module.MATCH_FUNCTION + '"(' in q for q in sent)
            return found, used

        found, used = lookup("+84903555111")
        self.assertTrue(used, "the function when it is there")
        self.assertEqual(found[1], self.partner)

        self.env.cr.execute(
            f"CREATE OR REPLACE FUNCTION {call_module.MATCH_FUNCTION}("
            "p_number varchar, p_scan integer) RETURNS TABLE (match_model text,"
            " match_id integer, match_active boolean, match_won_status varchar,"
            " match_partner_id integer, match_is_company boolean,"
            " match_company_id integer, match_write_date timestamp,"
            " match_exact boolean) LANGUAGE plpgsql AS $$ BEGIN END $$"
        )
        with self.assertLogs(call_module.__name__, "WARNING") as logs:
            found, used = lookup("+84903555111")
        self.assertIn("out of date", logs.output[0])
        self.assertIn("-u crm_callcenter", logs.output[0])
        self.assertFalse(used, "an old function is not used")
        self.assertEqual(found[1], self.partner)
        self.assertEqual(lookup("+84938777666")[0][1], legacy)

        # A module extending contacts (a phone field more) is installed.
        self.env["res.partner"].init()
        found, used = lookup("+84938777666")
        self.assertTrue(used, "written again")
        self.assertEqual(found[1], legacy)

        uninstall_hook(self.env)
        with self.assertLogs(call_module.__name__, "WARNING") as logs:
            found, used = lookup("+84903555111")
        self.assertIn("missing", logs.output[0])
        self.assertFalse(used)
        self.assertEqual(found[1], self.partner)
        self.assertEqual(lookup("+84938777666")[0][1], legacy)
