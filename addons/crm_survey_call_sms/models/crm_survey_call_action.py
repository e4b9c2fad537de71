from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmSurveyCallAction(models.Model):
    _inherit = "crm.survey.call.action"

    action_type = fields.Selection(
        selection_add=[("sms_template", "Send an SMS")],
        ondelete={"sms_template": "cascade"},
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "in", ("crm.lead", "res.partner"))],
        help="Sent to the customer's mobile or phone number.",
    )

    @api.constrains("action_type", "sms_template_id")
    def _check_sms_template(self):
        for action in self:
            if action.action_type == "sms_template" and not action.sms_template_id:
                raise ValidationError(
                    self.env._(
                        "The action “%(action)s” of question “%(question)s” "
                        "needs an SMS template.",
                        action=action._type_label(),
                        question=action.question_id.title,
                    )
                )

    def _is_applicable(self, user_input):
        if self.action_type == "sms_template":
            return bool(user_input._crm_record_for_model(self.sms_template_id.model))
        return super()._is_applicable(user_input)

    def _run_sms_template(self, user_input):
        template = self.sms_template_id
        record = user_input._crm_record_for_model(template.model)
        if self._send_through_callcenter_sms(template, record, user_input):
            return self.env._("SMS “%s” sent", template.name)
        customer = user_input.sudo().partner_id or user_input.sudo().lead_id.partner_id
        # Queued: the SMS cron sends it through the company's gateway, and a
        # gateway error never undoes the agent's saved answers.
        record._message_sms_with_template(
            template=template,
            partner_ids=customer.ids if customer else False,
            put_in_queue=True,
        )
        return self.env._("SMS “%s” sent", template.name)
