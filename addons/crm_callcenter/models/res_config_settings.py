from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    callcenter_service_level_seconds = fields.Integer(
        related="company_id.callcenter_service_level_seconds", readonly=False
    )
    callcenter_short_abandon_seconds = fields.Integer(
        related="company_id.callcenter_short_abandon_seconds", readonly=False
    )
    callcenter_callback_target_minutes = fields.Integer(
        related="company_id.callcenter_callback_target_minutes", readonly=False
    )
    callcenter_late_grace_minutes = fields.Integer(
        related="company_id.callcenter_late_grace_minutes", readonly=False
    )
    callcenter_followup_dissatisfied = fields.Boolean(
        related="company_id.callcenter_followup_dissatisfied", readonly=False
    )
    callcenter_vip_tag_ids = fields.Many2many(
        related="company_id.callcenter_vip_tag_ids", readonly=False
    )
