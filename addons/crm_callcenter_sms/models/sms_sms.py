from collections import defaultdict

from odoo import models

from .res_company import PROVIDER


class SmsSms(models.Model):
    _inherit = "sms.sms"

    def _split_by_api(self):
        # Companies sending through our gateways get our API, set to the
        # company; the others go on to core (IAP) or sms_twilio.
        by_company = defaultdict(lambda: self.env["sms.sms"])
        others = self.browse()
        for sms in self:
            company = sms._get_sms_company()[:1]
            if company.sms_provider == PROVIDER:
                by_company[company] += sms
            else:
                others += sms
        for company, company_sms in by_company.items():
            sms_api = company._get_sms_api_class()(self.env)
            sms_api._set_company(company)
            yield sms_api, company_sms
        if others:
            yield from super(SmsSms, others)._split_by_api()

    def _send(self, unlink_failed=False, unlink_sent=True, raise_exception=False):
        # The queue cron sends without an API in context: core would pick the
        # current company's API, not the company of each message.
        if self.env.context.get("sms_api") or not any(
            company.sms_provider == PROVIDER for company in self._get_sms_company()
        ):
            return super()._send(
                unlink_failed=unlink_failed,
                unlink_sent=unlink_sent,
                raise_exception=raise_exception,
            )
        for sms_api, batch in self._split_by_api():
            super(SmsSms, batch.with_context(sms_api=sms_api))._send(
                unlink_failed=unlink_failed,
                unlink_sent=unlink_sent,
                raise_exception=raise_exception,
            )
        return None
