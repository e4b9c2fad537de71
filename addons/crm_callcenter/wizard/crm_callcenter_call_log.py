from odoo import api, fields, models


class CrmCallcenterCallLog(models.TransientModel):
    """The agent's notes and disposition of a call."""

    _name = "crm.callcenter.call.log"
    _description = "Log a Call"

    call_id = fields.Many2one("crm.callcenter.call", required=True, readonly=True)
    company_id = fields.Many2one(related="call_id.company_id")
    disposition_id = fields.Many2one(
        "crm.callcenter.disposition",
        domain="[('company_id', 'in', [company_id, False])]",
    )
    note = fields.Text("Notes")
    record_name = fields.Char(compute="_compute_record_name", string="Logged On")

    @api.depends("call_id")
    def _compute_record_name(self):
        for wizard in self:
            call = wizard.call_id.sudo()
            wizard.record_name = (
                call.lead_id.display_name or call.partner_id.display_name or False
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        call = self.env["crm.callcenter.call"].browse(values.get("call_id"))
        if call:
            call._check_agent_action()
            values.setdefault("disposition_id", call.disposition_id.id)
            values.setdefault("note", call.note)
        return values

    def action_log(self):
        self.ensure_one()
        self.call_id._log(self.disposition_id, self.note)
        return {"type": "ir.actions.act_window_close"}
