from odoo import fields, models


class SurveyUserInputLine(models.Model):
    _inherit = "survey.user_input.line"

    telesales_campaign_id = fields.Many2one(
        related="user_input_id.telesales_campaign_id", store=True, index=True
    )
    callcenter_call_id = fields.Many2one(
        related="user_input_id.callcenter_call_id", store=True
    )
    agent_id = fields.Many2one(related="user_input_id.agent_id", store=True)
