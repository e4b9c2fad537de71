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
        if not self.campaign_id.script_id:
            raise UserError(
                self.env._(
                    "Campaign %(name)s has no call script.", name=self.campaign_id.name
                )
            )
        return self._crm_script_answer()._crm_client_action()

    def _crm_script_answer(self, create=True):
        """The script answer the agent works on for this target: the one of
        its last call once that call ended (even if finished: the agent sees
        what was answered until the wrap-up), else the one of the live call
        or of the target, created when ``create`` (else maybe none)."""
        self.ensure_one()
        UserInput = self.env["survey.user_input"]
        script = self.campaign_id.script_id
        if not script:
            return UserInput
        call = self.last_call_id
        if call and call.state == "ended":
            answer = UserInput.search(
                [("survey_id", "=", script.id), ("callcenter_call_id", "=", call.id)],
                order="id desc",
                limit=1,
            )
            if answer:
                return answer
            call = None
        return UserInput._crm_open_script(
            script, call=call or None, target=self, create=create
        )

    def _workspace_data(self):
        """The "Next call" workspace shows the campaign's script beside the
        target: its answer is started once the call is placed (in preview,
        only when the agent opens it: a target rejected unread leaves no
        empty answer)."""
        data = super()._workspace_data()
        script = self.sudo().campaign_id.script_id
        data["script"] = bool(script) and {
            "title": script.title,
            "user_input_id": self._crm_script_answer(create=not data["can_preview"]).id
            or False,
        }
        return data
