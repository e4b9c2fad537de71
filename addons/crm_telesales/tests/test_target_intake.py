import base64
import io
from datetime import datetime

import openpyxl

from odoo.exceptions import UserError

from .intake_common import CUSTOMER, TelesalesIntakeCase


class TestTargetWizards(TelesalesIntakeCase):
    """Targets from a filter on contacts or leads, and from CSV/XLSX files,
    as a call center manager."""

    def build(self, **vals):
        wizard = (
            self.env["crm.telesales.target.build"]
            .with_user(self.manager)
            .create({"campaign_id": self.campaign.id, **vals})
        )
        return wizard, wizard.action_add_targets()

    def import_file(self, content, filename):
        wizard = (
            self.env["crm.telesales.target.import"]
            .with_user(self.manager)
            .create(
                {
                    "campaign_id": self.campaign.id,
                    "file": base64.b64encode(content),
                    "filename": filename,
                }
            )
        )
        wizard.action_import()
        return wizard.result

    def xlsx(self, rows):
        book = openpyxl.Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        stream = io.BytesIO()
        book.save(stream)
        return stream.getvalue()

    # ------------------------------------------------------------------

    def test_build_from_contacts_skips_no_number_and_already_added(self):
        Partner = self.env["res.partner"]
        tag = self.env["res.partner.category"].create({"name": "Loan 2026"})
        with_phone = Partner.create(
            [
                {"name": "Khách A", "phone": "0987 000 001", "category_id": tag.ids},
                {"name": "Khách B", "phone": "0987 000 002", "category_id": tag.ids},
            ]
        )
        Partner.create({"name": "No phone", "category_id": tag.ids})
        domain = f"[('category_id', 'in', [{tag.id}])]"
        wizard, action = self.build(partner_domain=domain, priority=3)
        self.assertEqual(wizard.record_count, 2)
        self.assertIn("2 targets added", action["params"]["message"])
        targets = self.targets()
        self.assertEqual(targets.partner_id, with_phone)
        self.assertEqual(set(targets.mapped("priority")), {3})
        self.assertEqual(
            sorted(targets.mapped("phone")), ["+84987000001", "+84987000002"]
        )
        _wizard, action = self.build(partner_domain=domain)
        self.assertIn("0 targets added, 2 already", action["params"]["message"])
        self.assertEqual(len(self.targets()), 2)

    def test_build_from_leads_links_lead_and_contact(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Vay tiêu dùng",
                "phone": "0903 555 111",
                "partner_id": self.partner.id,
                "user_id": self.manager.id,
            }
        )
        self.env["crm.lead"].create(
            {"name": "Other", "phone": "0987 000 003", "user_id": self.manager.id}
        )
        self.build(source="crm.lead", lead_domain=f"[('id', '=', {lead.id})]")
        target = self.targets()
        self.assertEqual(len(target), 1)
        self.assertEqual(target.lead_id, lead)
        self.assertEqual(target.partner_id, self.partner)
        self.assertEqual(target.phone, CUSTOMER)

    def test_build_refuses_a_bad_filter(self):
        with self.assertRaisesRegex(UserError, "valid domain"):
            self.build(partner_domain="[('name', '=',")

    def test_csv_import_is_idempotent_on_the_reference(self):
        content = (
            "external_ref;number;name;application_date;address\n"
            "A-1;0987 100 001;Lê Thị Hoa;2026-11-20;12 Lý Thường Kiệt\n"
            "A-2;0987 100 002;Phạm Minh;2026-11-21;5 Nguyễn Huệ\n"
            "A-3;;No number;2026-11-21;\n"
        ).encode()
        result = self.import_file(content, "applications.csv")
        self.assertIn("2 targets created, 0 updated, 1 rows with errors", result)
        self.assertIn("Row 4: number is required", result)
        targets = self.targets()
        first = targets.filtered(lambda t: t.external_ref == "A-1")
        self.assertEqual(
            first.payload,
            {"application_date": "2026-11-20", "address": "12 Lý Thường Kiệt"},
        )
        self.assertEqual(first.partner_id.name, "Lê Thị Hoa")
        # The same file again, one address corrected: nothing is duplicated.
        result = self.import_file(
            content.replace(b"5 Nguy", b"7 Nguy"), "applications.csv"
        )
        self.assertIn("0 targets created, 2 updated", result)
        self.assertEqual(self.targets(), targets)
        second = targets.filtered(lambda t: t.external_ref == "A-2")
        self.assertEqual(second.payload["address"], "7 Nguyễn Huệ")

    def test_xlsx_import_reads_numbers_and_dates(self):
        self.env.user.tz = "Asia/Ho_Chi_Minh"
        self.manager.tz = "Asia/Ho_Chi_Minh"
        content = self.xlsx(
            [
                ["Number", "External Ref", "Priority", "Not Before", "Loan amount"],
                # Spreadsheets turn numbers into numbers.
                [84987200001, "X-1", 5, datetime(2026, 12, 1, 9, 0), 15000000],
                ["0987 200 002", "X-2", None, None, 5000000],
            ]
        )
        result = self.import_file(content, "tasks.xlsx")
        self.assertIn("2 targets created", result)
        first = self.targets().filtered(lambda t: t.external_ref == "X-1")
        self.assertEqual(first.phone, "+84987200001")
        self.assertEqual(first.priority, 5)
        # 09:00 in Ho Chi Minh City is 02:00 UTC.
        self.assertEqual(str(first.next_attempt_at), "2026-12-01 02:00:00")
        self.assertEqual(first.payload, {"Loan amount": 15000000})

    def test_import_needs_a_number_column(self):
        with self.assertRaisesRegex(UserError, "number or phone"):
            self.import_file(b"name,email\nA,a@example.com\n", "people.csv")
        with self.assertRaisesRegex(UserError, "not a valid XLSX"):
            self.import_file(b"PK\x03\x04broken", "tasks.xlsx")
        self.assertFalse(self.targets())
