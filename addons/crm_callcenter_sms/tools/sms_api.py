from odoo.addons.sms.tools.sms_api import SmsApiBase

from . import common


class SmsApiCallcenter(SmsApiBase):
    """Core ``sms`` sending through the company's call-center gateways
    (primary, then backup on a transient failure)."""

    PROVIDER_TO_SMS_FAILURE_TYPE = SmsApiBase.PROVIDER_TO_SMS_FAILURE_TYPE | {
        common.NO_CREDIT: "sms_credit",
        common.BAD_ACCOUNT: "sms_acc",
    }

    def _send_sms_batch(self, messages, delivery_reports_url=False):
        """See core ``SmsApi._send_sms_batch``; results also carry the log."""
        company = self.company or self.env.company
        return self.env["crm.callcenter.sms.gateway"]._send_batch(company, messages)

    def _get_sms_api_error_messages(self):
        errors = super()._get_sms_api_error_messages()
        errors.update(
            {
                common.NO_CREDIT: self.env._("Insufficient funds on the SMS gateway."),
                common.BAD_ACCOUNT: self.env._(
                    "The SMS gateway refused the credentials."
                ),
            }
        )
        return errors
