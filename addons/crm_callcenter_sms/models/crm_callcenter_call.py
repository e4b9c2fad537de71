import logging

from odoo import fields, models

_logger = logging.getLogger(__name__)


class CrmCallcenterCall(models.Model):
    _inherit = "crm.callcenter.call"

    crm_callcenter_sms_log_ids = fields.One2many(
        "crm.callcenter.sms.log", "call_id", "Messages", readonly=True
    )

    def _after_fold(self, provider, before):
        res = super()._after_fold(provider, before)
        if self.state == "ended" and before["state"] != "ended":
            # The agent may have logged a disposition during the call.
            self._callcenter_queue_confirmations()
        return res

    def _register_missed(self):
        res = super()._register_missed()
        Log = self.env["crm.callcenter.sms.log"].sudo()
        for call in self.sudo():
            provider = call.provider_id
            for template in (
                provider.missed_sms_template_id,
                provider.missed_mail_template_id,
            ):
                if template:
                    call._callcenter_queue_template(Log, template)
        return res

    def _log(self, disposition, note):
        res = super()._log(disposition, note)
        self._callcenter_queue_confirmations()
        return res

    def _callcenter_queue_confirmations(self):
        """Confirmation messages of ended answered calls with a disposition."""
        Log = self.env["crm.callcenter.sms.log"].sudo()
        for call in self.sudo():
            if not (
                call.state == "ended"
                and call.outcome == "answered"
                and call.disposition_id
                and call.customer_number
            ):
                continue
            for rule in call.provider_id.sms_rule_ids:
                if call.disposition_id in rule.disposition_ids:
                    for template in (rule.sms_template_id, rule.mail_template_id):
                        if template:
                            call._callcenter_queue_template(Log, template)

    def _callcenter_queue_template(self, Log, template):
        self.ensure_one()
        key = f"call:{self.id}:{template._name}:{template.id}"
        # Scheduling only writes rows; a failure here must not cost the
        # call event (kept by the webhook inbox either way).
        try:
            with self.env.cr.savepoint():
                Log._callcenter_send_template(template, self, key, automatic=True)
        except Exception:
            _logger.exception(
                "Call %s: message %s could not be scheduled", self.id, key
            )

    def action_send_sms(self):
        """Core SMS composer on the call's customer (lead, else contact)."""
        self.ensure_one()
        self._check_agent_action()
        record = self.lead_id or self.partner_id
        if record:
            ctx = {
                "default_composition_mode": "comment",
                "default_res_model": record._name,
                "default_res_id": record.id,
                "default_recipient_single_number_itf": self.customer_number,
            }
        else:
            # Unknown caller: no document to post on, only the number.
            ctx = {
                "default_composition_mode": "numbers",
                "default_numbers": self.customer_number,
            }
        ctx["crm_callcenter_sms_call_id"] = self.id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send SMS"),
            "res_model": "sms.composer",
            "views": [[False, "form"]],
            "target": "new",
            "context": ctx,
        }
