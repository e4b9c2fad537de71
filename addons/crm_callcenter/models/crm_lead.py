from odoo import api, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "crm.callcenter.call.mixin"]
    _callcenter_call_field = "lead_id"

    # See res.partner: the caller lookup's fallback reads only these rows.
    _callcenter_unsanitized_phone_idx = models.Index(
        "(id) WHERE phone_sanitized IS NULL AND phone IS NOT NULL"
    )

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        call_id = self.env.context.get("crm_callcenter_call_id")
        if call_id and len(leads) == 1:
            # Saved from a call card's "Create lead": the call belongs to it.
            call = self.env["crm.callcenter.call"].browse(call_id).exists()
            if call and call._can_agent_act():
                call._link_lead(leads)
        return leads
