from odoo import fields, models


class CrmCallcenterProvider(models.Model):
    _inherit = "crm.callcenter.provider"

    missed_sms_template_id = fields.Many2one(
        "sms.template",
        "Missed Call SMS",
        domain=[("model", "=", "crm.callcenter.call")],
        help='Sent to the caller of a missed inbound call ("we will call you back").',
    )
    missed_mail_template_id = fields.Many2one(
        "mail.template",
        "Missed Call E-mail",
        domain=[("model", "=", "crm.callcenter.call")],
        help="Sent to the caller of a missed inbound call when the caller is known.",
    )
    sms_rule_ids = fields.One2many(
        "crm.callcenter.sms.rule",
        "provider_id",
        "Confirmation Rules",
        help="Messages sent when an answered call ends with a disposition.",
    )
