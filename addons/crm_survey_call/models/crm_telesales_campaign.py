from odoo import fields, models


class CrmTelesalesCampaign(models.Model):
    _inherit = "crm.telesales.campaign"

    script_id = fields.Many2one(
        "survey.survey",
        string="Call Script",
        domain=[("is_call_script", "=", True)],
        tracking=True,
        help="Shown to the agent during the campaign's calls.",
    )
    script_answer_count = fields.Integer(compute="_compute_script_counts")
    script_success_count = fields.Integer(
        "Script Successes",
        compute="_compute_script_counts",
        help="Script answers that marked their target as a success.",
    )

    def _compute_script_counts(self):
        counts = {
            (campaign.id, success): count
            for campaign, success, count in self.env["survey.user_input"]._read_group(
                [("telesales_campaign_id", "in", self.ids)],
                ["telesales_campaign_id", "script_success"],
                ["__count"],
            )
        }
        for campaign in self:
            success = counts.get((campaign.id, True), 0)
            campaign.script_success_count = success
            campaign.script_answer_count = success + counts.get((campaign.id, False), 0)

    def action_view_script_answers(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_survey_call.survey_user_input_action_script"
        )
        action["domain"] = [("telesales_campaign_id", "=", self.id)]
        return action

    def action_view_script_statistics(self):
        """Answer statistics of the campaign's calls, per question and answer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_survey_call.survey_user_input_line_action_script"
        )
        action["domain"] = [("telesales_campaign_id", "=", self.id)]
        action["display_name"] = self.env._("Script Answers: %s", self.name)
        return action
