from odoo import api, fields, models

from ..tools.sms_api import SmsApiCallcenter

PROVIDER = "crm_callcenter"


class ResCompany(models.Model):
    _inherit = "res.company"

    # Core ``sms`` has no provider field; ``sms_twilio`` defines one with a
    # fixed list. Not depending on ``sms_twilio``, this addon (loaded after
    # it, being deeper in the dependency graph) keeps its options when it
    # is installed, and adds its own.
    sms_provider = fields.Selection(
        selection="_selection_sms_provider", string="SMS Provider", default="iap"
    )
    crm_callcenter_sms_gateway_id = fields.Many2one(
        "crm.callcenter.sms.gateway",
        "SMS Gateway",
        domain="[('company_id', '=', id)]",
        help="Gateway sending the company's SMS when the provider is the "
        "call-center gateways.",
    )
    crm_callcenter_sms_backup_gateway_id = fields.Many2one(
        "crm.callcenter.sms.gateway",
        "Backup SMS Gateway",
        domain="[('company_id', '=', id)]",
        help="Sends a message once more when the first gateway fails for a "
        "transient reason (timeout, connection error, server error, rate limit).",
    )
    crm_callcenter_sms_quiet_hours = fields.Boolean(
        "Quiet Hours",
        help="Automatic messages falling in the quiet hours of the recipient's "
        "time zone are sent when they end.",
    )
    crm_callcenter_sms_quiet_start = fields.Float("Quiet Hours Start", default=21.0)
    crm_callcenter_sms_quiet_end = fields.Float("Quiet Hours End", default=8.0)

    @api.model
    def _selection_sms_provider(self):
        selection = [("iap", self.env._("Send via Odoo"))]
        if "sms.twilio.number" in self.env:
            selection.append(("twilio", self.env._("Send via Twilio")))
        selection.append((PROVIDER, self.env._("Send via call-center SMS gateways")))
        return selection

    def _get_sms_api_class(self):
        self.ensure_one()
        if self.sms_provider == PROVIDER:
            return SmsApiCallcenter
        return super()._get_sms_api_class()
