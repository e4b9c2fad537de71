from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_callcenter_sms_log_count = fields.Integer(
        "Sent Messages",
        compute="_compute_crm_callcenter_sms_log_count",
        groups="crm_callcenter.crm_callcenter_group_agent",
    )

    def _compute_crm_callcenter_sms_log_count(self):
        # Counted under the log's record rules: an agent sees the messages
        # of their own calls, a manager all.
        counts = dict(
            self.env["crm.callcenter.sms.log"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.crm_callcenter_sms_log_count = counts.get(partner._origin, 0)

    def action_view_crm_callcenter_sms_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_callcenter_sms.crm_callcenter_sms_log_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {}
        return action
