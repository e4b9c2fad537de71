from odoo import fields, models


class IrActionsServer(models.Model):
    """A server action sending a template once per record (script answers,
    telesales outcomes...), through the call-center message log."""

    _inherit = "ir.actions.server"

    state = fields.Selection(
        selection_add=[("crm_callcenter_message", "Send Message Once (Call Center)")],
        ondelete={"crm_callcenter_message": "cascade"},
    )
    crm_callcenter_sms_template_id = fields.Many2one(
        "sms.template",
        "SMS Template to Send",
        domain="[('model_id', '=', model_id)]",
        ondelete="set null",
    )
    crm_callcenter_mail_template_id = fields.Many2one(
        "mail.template",
        "E-mail Template to Send",
        domain="[('model_id', '=', model_id)]",
        ondelete="set null",
    )
    crm_callcenter_automatic = fields.Boolean(
        "Respect Quiet Hours",
        default=True,
        help="Defer messages falling in the recipient's quiet hours.",
    )

    def _run_action_crm_callcenter_message_multi(self, eval_context=None):
        records = eval_context.get("records") or eval_context.get("record")
        if not records:
            return False
        Log = self.env["crm.callcenter.sms.log"].sudo()
        templates = [
            t
            for t in (
                self.crm_callcenter_sms_template_id,
                self.crm_callcenter_mail_template_id,
            )
            if t
        ]
        for record in records:
            for template in templates:
                key = (
                    f"action:{self.id}:{record._name}:{record.id}"
                    f":{template._name}:{template.id}"
                )
                Log._callcenter_send_template(
                    template, record, key, automatic=self.crm_callcenter_automatic
                )
        return False
