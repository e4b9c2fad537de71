from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmCallcenterCall(models.Model):
    _inherit = "crm.callcenter.call"

    script_id = fields.Many2one(
        "survey.survey",
        string="Call Script",
        compute="_compute_script_id",
        help="The campaign's script, else the line's, else the provider's.",
    )
    script_answer_ids = fields.One2many(
        "survey.user_input", "callcenter_call_id", string="Script Answers"
    )

    @api.depends(
        "telesales_campaign_id.script_id", "did_id.script_id", "provider_id.script_id"
    )
    def _compute_script_id(self):
        for call in self:
            # The agent may not read the provider's configuration.
            call.script_id = call.sudo()._get_script()

    def _get_script(self):
        """A telesales call shows its campaign's script; an inbound one the
        script of the number called (DID), else the provider's."""
        self.ensure_one()
        return (
            self.telesales_campaign_id.script_id
            or self.did_id.script_id
            or self.provider_id.script_id
        )

    def action_open_script(self):
        """Open (or resume) this call's script answer beside the call."""
        self.ensure_one()
        script = self.sudo()._get_script()
        if not script:
            raise UserError(self.env._("No call script is configured for this call."))
        user_input = self.env["survey.user_input"]._crm_open_script(script, call=self)
        return user_input._crm_client_action()

    def _bus_payload(self, user, closed=False):
        payload = super()._bus_payload(user, closed=closed)
        payload["has_script"] = bool(self.sudo()._get_script())
        return payload
