from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sms_provider = fields.Selection(
        related="company_id.sms_provider", readonly=False, required=True
    )
    crm_callcenter_sms_gateway_id = fields.Many2one(
        related="company_id.crm_callcenter_sms_gateway_id", readonly=False
    )
    crm_callcenter_sms_backup_gateway_id = fields.Many2one(
        related="company_id.crm_callcenter_sms_backup_gateway_id", readonly=False
    )
    crm_callcenter_sms_quiet_hours = fields.Boolean(
        related="company_id.crm_callcenter_sms_quiet_hours", readonly=False
    )
    crm_callcenter_sms_quiet_start = fields.Float(
        related="company_id.crm_callcenter_sms_quiet_start", readonly=False
    )
    crm_callcenter_sms_quiet_end = fields.Float(
        related="company_id.crm_callcenter_sms_quiet_end", readonly=False
    )
