from odoo import fields, models
from odoo.exceptions import UserError


class CrmTelesalesTarget(models.Model):
    _inherit = "crm.telesales.target"

    script_answer_ids = fields.One2many(
        "survey.user_input", "telesales_target_id", string="Script Answers"
    )

    def action_open_script(self):
        """The campaign's script for this target, resumed if started."""
        self.ensure_one()
        script = self.campaign_id.script_id
        if not script:
            raise UserError(
                self.env._(
                    "Campaign %(name)s has no call script.", name=self.campaign_id.name
                )
            )
        call = self.last_call_id if self.last_call_id.state != "ended" else None
        user_input = self.env["survey.user_input"]._crm_open_script(
            script, call=call, target=self
        )
        return user_input._crm_client_action()
