from odoo import fields, models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    crm_callcenter_sms_log_count = fields.Integer(
        "Sent Messages",
        compute="_compute_crm_callcenter_sms_log_count",
        groups="crm_callcenter.crm_callcenter_group_agent",
    )

    def _get_crm_callcenter_sms_log_domain(self):
        """Messages sent on the leads, or from their calls."""
        return [
            "|",
            "&",
            ("res_model", "=", "crm.lead"),
            ("res_id", "in", self.ids),
            ("call_id.lead_id", "in", self.ids),
        ]

    def _compute_crm_callcenter_sms_log_count(self):
        # One search for all leads, under the log's record rules.
        logs = self.env["crm.callcenter.sms.log"].search(
            self._get_crm_callcenter_sms_log_domain()
        )
        log_ids = {lead_id: set() for lead_id in self.ids}
        for log in logs:
            if log.res_model == "crm.lead" and log.res_id in log_ids:
                log_ids[log.res_id].add(log.id)
            if log.call_id.lead_id.id in log_ids:
                log_ids[log.call_id.lead_id.id].add(log.id)
        for lead in self:
            lead.crm_callcenter_sms_log_count = len(log_ids.get(lead._origin.id, ()))

    def action_view_crm_callcenter_sms_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_callcenter_sms.crm_callcenter_sms_log_action"
        )
        action["domain"] = self._get_crm_callcenter_sms_log_domain()
        action["context"] = {}
        return action
