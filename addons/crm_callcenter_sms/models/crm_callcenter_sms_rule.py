from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmCallcenterSmsRule(models.Model):
    """Message sent when an answered call ends with one of the dispositions."""

    _name = "crm.callcenter.sms.rule"
    _description = "Call Confirmation Rule"
    _order = "sequence, id"

    sequence = fields.Integer(default=10)
    provider_id = fields.Many2one(
        "crm.callcenter.provider", required=True, ondelete="cascade", index=True
    )
    disposition_ids = fields.Many2many(
        "crm.callcenter.disposition",
        string="Dispositions",
        required=True,
        help="The message is sent when the agent logs one of these.",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        "SMS Template",
        domain=[("model", "=", "crm.callcenter.call")],
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        "E-mail Template",
        domain=[("model", "=", "crm.callcenter.call")],
    )

    @api.constrains("sms_template_id", "mail_template_id")
    def _check_template(self):
        for rule in self:
            if not rule.sms_template_id and not rule.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "A confirmation rule needs an SMS or an e-mail template."
                    )
                )
