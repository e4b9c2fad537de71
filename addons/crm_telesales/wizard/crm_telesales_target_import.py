import base64
import csv
import io
import re
from datetime import date, datetime

import pytz

from odoo import fields, models
from odoo.exceptions import UserError

# Headers of the columns the import knows (case, spaces and dashes aside);
# any other column goes to the target's customer data.
COLUMNS = {
    "number": "number",
    "phone": "number",
    "external_ref": "external_ref",
    "external_reference": "external_ref",
    "reference": "external_ref",
    "ref": "external_ref",
    "name": "name",
    "email": "email",
    "street": "street",
    "city": "city",
    "zip": "zip",
    "lang": "lang",
    "priority": "priority",
    "not_before": "not_before",
    "agent": "agent",
}
MAX_ROWS = 50000
CHUNK = 1000


class CrmTelesalesTargetImport(models.TransientModel):
    """Import targets from a CSV or XLSX file, idempotent on the reference."""

    _name = "crm.telesales.target.import"
    _description = "Import Telesales Targets"

    campaign_id = fields.Many2one("crm.telesales.campaign", required=True)
    file = fields.Binary(required=True)
    filename = fields.Char()
    result = fields.Text(readonly=True)

    def action_import(self):
        self.ensure_one()
        if self.campaign_id.state == "done":
            raise UserError(self.env._("The campaign is done."))
        rows = self._read_rows()
        if not rows:
            raise UserError(self.env._("The file has no rows to import."))
        if len(rows) > MAX_ROWS:
            raise UserError(
                self.env._(
                    "At most %(count)s rows can be imported at once.", count=MAX_ROWS
                )
            )
        Target = self.env["crm.telesales.target"]
        counts = {"created": 0, "updated": 0, "error": 0}
        errors = []
        for start in range(0, len(rows), CHUNK):
            results = Target._intake(self.campaign_id, rows[start : start + CHUNK])
            for result in results:
                counts[result["status"]] += 1
                if result["status"] == "error":
                    # Row 1 is the header.
                    errors.append(
                        self.env._(
                            "Row %(row)s: %(error)s",
                            row=start + result["index"] + 2,
                            error=result["error"],
                        )
                    )
        summary = self.env._(
            "%(created)s targets created, %(updated)s updated, %(error)s rows "
            "with errors.",
            **counts,
        )
        self.result = "\n".join([summary, *errors[:200]])
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def _read_rows(self):
        """The file's rows as target items (dicts), header row first in file."""
        data = base64.b64decode(self.file or b"")
        name = (self.filename or "").lower()
        if name.endswith(".xlsx") or data[:2] == b"PK":
            table = self._read_xlsx(data)
        else:
            table = self._read_csv(data)
        if not table:
            return []
        headers = [str(cell or "").strip() for cell in table[0]]
        keys = [
            COLUMNS.get(re.sub(r"[\s\-]+", "_", header.lower())) for header in headers
        ]
        if "number" not in keys:
            raise UserError(
                self.env._("The file needs a column named number or phone.")
            )
        rows = []
        for line in table[1:]:
            if not any(cell not in (None, "") for cell in line):
                continue
            item, payload = {}, {}
            for header, key, cell in zip(headers, keys, line, strict=False):
                if not header or cell in (None, ""):
                    continue
                value = self._cell_value(cell)
                if key:
                    item[key] = value
                else:
                    payload[header] = (
                        value.isoformat() if isinstance(value, datetime) else value
                    )
            if payload:
                item["payload"] = payload
            rows.append(item)
        return rows

    def _cell_value(self, cell):
        if isinstance(cell, float) and cell.is_integer():
            return int(cell)
        if isinstance(cell, datetime):
            # Spreadsheet times are the importing user's local time.
            tz = pytz.timezone(self.env.user.tz or "UTC")
            return tz.localize(cell) if cell.tzinfo is None else cell
        if isinstance(cell, date):
            return cell.isoformat()
        if isinstance(cell, str):
            return cell.strip()
        return cell

    def _read_csv(self, data):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UserError(
                self.env._("The CSV file must be encoded in UTF-8.")
            ) from exc
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return list(csv.reader(io.StringIO(text), dialect))

    def _read_xlsx(self, data):
        try:
            import openpyxl
        except ImportError as exc:
            raise UserError(
                self.env._("Reading XLSX files needs the openpyxl library.")
            ) from exc
        try:
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True
            )
        except Exception as exc:  # openpyxl raises many kinds on bad files
            raise UserError(self.env._("The file is not a valid XLSX file.")) from exc
        try:
            sheet = book.worksheets[0]
            return [list(row) for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()
