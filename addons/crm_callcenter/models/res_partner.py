from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    callcenter_call_ids = fields.One2many(
        "crm.callcenter.call",
        "partner_id",
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
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.callcenter_call_count = counts.get(partner, 0)

    def action_view_callcenter_calls(self):
        self.ensure_one()
        return self.env["crm.callcenter.call"]._action_for_domain(
            [("partner_id", "=", self.id)]
        )
