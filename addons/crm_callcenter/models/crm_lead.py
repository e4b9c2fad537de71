from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    callcenter_call_ids = fields.One2many(
        "crm.callcenter.call",
        "lead_id",
        groups="crm_callcenter.crm_callcenter_group_agent",
    )
    callcenter_call_count = fields.Integer(
        "Calls",
        compute="_compute_callcenter_call_count",
        groups="crm_callcenter.crm_callcenter_group_agent",
    )

    def _compute_callcenter_call_count(self):
        counts = dict(
            self.env["crm.callcenter.call"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.callcenter_call_count = counts.get(lead, 0)

    def action_view_callcenter_calls(self):
        self.ensure_one()
        return self.env["crm.callcenter.call"]._action_for_domain(
            [("lead_id", "=", self.id)]
        )
