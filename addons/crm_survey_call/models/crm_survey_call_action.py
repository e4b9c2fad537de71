from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

ACTION_TYPES = [
    ("mail_template", "Send an E-mail"),
    ("activity", "Schedule an Activity"),
    ("lead_stage", "Set the Lead's Stage"),
    ("lead_tags", "Add Tags to the Lead"),
    ("target_result", "Set the Target's Result"),
]
TARGET_RESULTS = [
    ("success", "Success"),
    ("refused", "Refused"),
    ("callback", "Call Back"),
]


class CrmSurveyCallAction(models.Model):
    """What a script answer does in the CRM, once per script answer."""

    _name = "crm.survey.call.action"
    _description = "Call Script Answer Action"
    _order = "question_id, sequence, id"

    sequence = fields.Integer(default=10)
    question_id = fields.Many2one(
        "survey.question", required=True, ondelete="cascade", index=True
    )
    survey_id = fields.Many2one(related="question_id.survey_id", store=True)
    answer_id = fields.Many2one(
        "survey.question.answer",
        string="When the Answer Is",
        ondelete="cascade",
        domain="[('question_id', '=', question_id)]",
        help="Empty: whenever the question is answered.",
    )
    action_type = fields.Selection(ACTION_TYPES, required=True, string="Action")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail Template",
        domain=[("model", "in", ("crm.lead", "res.partner"))],
        help="Sent to the customer (the lead's or the call's contact).",
    )
    activity_type_id = fields.Many2one("mail.activity.type")
    activity_summary = fields.Char()
    activity_days = fields.Integer(
        "Activity Due In (days)", help="Days after the answer."
    )
    stage_id = fields.Many2one("crm.stage", string="Lead Stage")
    tag_ids = fields.Many2many("crm.tag", string="Lead Tags")
    target_result = fields.Selection(TARGET_RESULTS)
    callback_question_id = fields.Many2one(
        "survey.question",
        string="Call Back At",
        domain="[('survey_id', '=', survey_id), "
        "('question_type', 'in', ('date', 'datetime'))]",
        help="The question whose answer gives the call-back's date and time; "
        "empty or unanswered: the campaign's call-back delay.",
    )

    @api.constrains(
        "action_type",
        "mail_template_id",
        "activity_type_id",
        "stage_id",
        "tag_ids",
        "target_result",
        "answer_id",
    )
    def _check_config(self):
        required = {
            "mail_template": "mail_template_id",
            "activity": "activity_type_id",
            "lead_stage": "stage_id",
            "lead_tags": "tag_ids",
            "target_result": "target_result",
        }
        for action in self:
            fname = required.get(action.action_type)
            if fname and not action[fname]:
                raise ValidationError(
                    self.env._(
                        "The action “%(action)s” of question “%(question)s” "
                        "needs %(field)s.",
                        action=action._type_label(),
                        question=action.question_id.title,
                        field=action._fields[fname]._description_string(self.env),
                    )
                )
            if action.answer_id and action.answer_id.question_id != action.question_id:
                raise ValidationError(
                    self.env._("The answer of an action must belong to its question.")
                )

    @api.depends("action_type", "answer_id")
    def _compute_display_name(self):
        for action in self:
            label = action._type_label()
            action.display_name = (
                f"{action.answer_id.value}: {label}" if action.answer_id else label
            )

    def _type_label(self):
        return dict(self._fields["action_type"]._description_selection(self.env)).get(
            self.action_type, ""
        )

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------

    def _is_applicable(self, user_input):
        """Whether this action has what it acts on (a lead, a target...)."""
        self.ensure_one()
        if self.action_type in ("lead_stage", "lead_tags"):
            return bool(user_input.lead_id)
        if self.action_type == "target_result":
            return bool(user_input.telesales_target_id)
        if self.action_type == "mail_template":
            return bool(user_input._crm_record_for_model(self.mail_template_id.model))
        return bool(user_input.lead_id or user_input.partner_id)

    def _run(self, user_input):
        """Run the action for one script answer; returns a short description."""
        self.ensure_one()
        return getattr(self, f"_run_{self.action_type}")(user_input)

    def _run_mail_template(self, user_input):
        template = self.mail_template_id
        record = user_input._crm_record_for_model(template.model)
        customer = user_input.sudo().partner_id or user_input.sudo().lead_id.partner_id
        if customer:
            record.message_post_with_source(
                template,
                partner_ids=customer.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        else:
            # A lead without contact: the template's own recipients (e-mail).
            template.with_env(record.env).send_mail(record.id)
        return self.env._("E-mail “%s” sent", template.name)

    def _send_through_callcenter_sms(self, template, record, user_input):
        """With crm_callcenter_sms installed, its sender sends the (SMS)
        template: through the company's gateways, phone blacklist respected,
        once per answer and action, logged with its cost. Returns whether it
        took the message. (E-mails stay on the record's chatter.)"""
        if "crm.callcenter.sms.log" not in self.env:
            return False
        # The log is the SMS addon's (managers read it); the agent only
        # asks for this answer's message, deduplicated by its key.
        self.env["crm.callcenter.sms.log"].sudo()._callcenter_send_template(
            template, record, f"crm_survey_call:{user_input.id}:{self.id}"
        )
        return True

    def _run_activity(self, user_input):
        record = user_input._crm_record_for_model(
            "crm.lead"
        ) or user_input._crm_record_for_model("res.partner")
        record.activity_schedule(
            activity_type_id=self.activity_type_id.id,
            summary=self.activity_summary or False,
            date_deadline=fields.Date.context_today(self)
            + timedelta(days=self.activity_days),
            user_id=(user_input.agent_id or self.env.user).id,
        )
        return self.env._("Activity “%s” scheduled", self.activity_type_id.name)

    def _run_lead_stage(self, user_input):
        user_input._crm_record_for_model("crm.lead").stage_id = self.stage_id
        return self.env._("Stage set to %s", self.stage_id.name)

    def _run_lead_tags(self, user_input):
        lead = user_input._crm_record_for_model("crm.lead")
        lead.tag_ids = [fields.Command.link(t.id) for t in self.tag_ids]
        return self.env._("Tags added: %s", ", ".join(self.tag_ids.mapped("name")))

    def _run_target_result(self, user_input):
        target = user_input.telesales_target_id
        vals = {"result": self.target_result}
        if self.target_result == "success":
            user_input.script_success = True
        if self.target_result == "callback":
            vals.update(
                state="rescheduled",
                next_attempt_at=self._callback_at(user_input),
                sticky_user_id=(user_input.agent_id or self.env.user).id,
            )
        target.write(vals)
        labels = dict(self._fields["target_result"]._description_selection(self.env))
        return self.env._("Target result: %s", labels[self.target_result])

    def _callback_at(self, user_input):
        line = user_input.user_input_line_ids.filtered(
            lambda line: (
                line.question_id == self.callback_question_id and not line.skipped
            )
        )[:1]
        if line.value_datetime:
            return line.value_datetime
        if line.value_date:
            # A day without a time: the start of the calling day, in UTC.
            return datetime.combine(line.value_date, time(9, 0))
        campaign = user_input.telesales_target_id.campaign_id
        return fields.Datetime.now() + timedelta(
            minutes=campaign._retry_minutes("callback")
        )
