from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import html_escape

CHOICE_TYPES = ("simple_choice", "multiple_choice")
SUPPORTED_TYPES = (
    "simple_choice",
    "multiple_choice",
    "char_box",
    "text_box",
    "numerical_box",
    "date",
    "datetime",
)


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    callcenter_call_id = fields.Many2one(
        "crm.callcenter.call",
        string="Call",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    telesales_target_id = fields.Many2one(
        "crm.telesales.target",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    telesales_campaign_id = fields.Many2one(
        "crm.telesales.campaign",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    lead_id = fields.Many2one("crm.lead", readonly=True, index="btree_not_null")
    agent_id = fields.Many2one(
        "res.users",
        readonly=True,
        index="btree_not_null",
        help="The agent of the call this script answer belongs to.",
    )
    script_success = fields.Boolean(
        readonly=True, help="An answer marked the telesales target as a success."
    )
    action_log_ids = fields.One2many(
        "crm.survey.call.action.log", "user_input_id", string="Actions Run"
    )

    # ------------------------------------------------------------------
    # Opening
    # ------------------------------------------------------------------

    @api.model
    def _crm_open_script(self, script, call=None, target=None, create=True):
        """The script answer of a call or target: the existing one (the
        agent resumes it) or a new one, prefilled from the CRM (none when
        ``create`` is false)."""
        call = call or self.env["crm.callcenter.call"]
        target = target or call.telesales_target_id
        existing = self.browse()
        if call:
            existing = self.search(
                [("survey_id", "=", script.id), ("callcenter_call_id", "=", call.id)],
                limit=1,
            )
        if not existing and target:
            # Opened from the target before the call (preview), or again later.
            existing = self.search(
                [
                    ("survey_id", "=", script.id),
                    ("telesales_target_id", "=", target.id),
                    ("state", "!=", "done"),
                ]
                + ([("callcenter_call_id", "in", (False, call.id))] if call else []),
                order="id desc",
                limit=1,
            )
        if existing:
            if call and not existing.callcenter_call_id:
                existing.callcenter_call_id = call
            return existing
        if not create:
            return existing
        lead = call.lead_id or target.lead_id
        # The target or call may point to a lead of another salesperson.
        partner = call.partner_id or target.partner_id or lead.sudo().partner_id
        user_input = self.create(
            {
                "survey_id": script.id,
                "callcenter_call_id": call.id,
                "telesales_target_id": target.id,
                "telesales_campaign_id": (
                    target.campaign_id or call.telesales_campaign_id
                ).id,
                "lead_id": lead.id,
                "partner_id": partner.id,
                "email": partner.email or lead.email_from,
                "agent_id": (call.user_id or self.env.user).id,
                "start_datetime": fields.Datetime.now(),
            }
        )
        user_input._crm_prefill()
        return user_input

    def _crm_prefill(self):
        """Answer the mapped questions with what the CRM already knows."""
        self.ensure_one()
        for question in self.predefined_question_ids.filtered("crm_field"):
            record = self._crm_record_for_model(question.crm_field_model)
            if not record or question.question_type not in SUPPORTED_TYPES:
                continue
            answer = question._crm_answer_from_record(record)
            if answer is not None:
                self._save_lines(
                    question,
                    [answer] if question.question_type in CHOICE_TYPES else answer,
                )

    def _crm_record_for_model(self, model):
        """The lead or contact the script reads and writes.

        A telesales target can hand an agent a lead of another salesperson:
        the call or target links the agent to this customer, so the script
        works on it as superuser when the agent has no write access of their
        own. It only writes the fields the script's author mapped.
        """
        self.ensure_one()
        mine = self.sudo()
        if model == "crm.lead":
            record = mine.lead_id
        elif model == "res.partner":
            record = mine.partner_id or mine.lead_id.partner_id
        else:
            return None
        as_user = record.with_env(self.env)
        return as_user if as_user.has_access("write") else record

    def _crm_client_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "crm_survey_call.script",
            "name": self.survey_id.title,
            "params": {"user_input_id": self.id},
            "target": "current",
        }

    # ------------------------------------------------------------------
    # What the script panel shows
    # ------------------------------------------------------------------

    def crm_survey_call_get_data(self):
        """Questions, suggested answers, conditions and current answers."""
        self.ensure_one()
        self.check_access("read")
        survey = self.survey_id
        if not survey.is_call_script:
            raise UserError(self.env._("This survey is not a call script."))
        questions = self.predefined_question_ids.filtered(
            lambda q: q.question_type in SUPPORTED_TYPES
        )
        pages = []
        loose = questions.filtered(lambda q: not q.page_id)
        if loose:
            pages.append({"id": False, "title": "", "questions": loose})
        for page in survey.page_ids:
            mine = questions.filtered(lambda q, page=page: q.page_id == page)
            if mine:
                pages.append({"id": page.id, "title": page.title, "questions": mine})
        return {
            "id": self.id,
            "title": survey.title,
            "state": self.state,
            "partner": self.sudo().partner_id.display_name or "",
            "lead": self.sudo().lead_id.display_name or "",
            "target": self.telesales_target_id.display_name or "",
            "call": self.callcenter_call_id.display_name or "",
            "record": self._crm_record_ref(),
            "last_page_id": self.last_displayed_page_id.id,
            "pages": [
                {
                    "id": page["id"],
                    "title": page["title"],
                    "questions": [q._crm_script_dict() for q in page["questions"]],
                }
                for page in pages
            ],
            "values": self._crm_current_values(questions),
        }

    def _crm_record_ref(self):
        record = self.sudo().lead_id or self.sudo().partner_id
        return {"model": record._name, "id": record.id} if record else False

    def _crm_current_values(self, questions):
        values = {}
        lines = self.user_input_line_ids.filtered(lambda line: not line.skipped)
        for question in questions:
            mine = lines.filtered(lambda line, q=question: line.question_id == q)
            if not mine:
                continue
            if question.question_type == "multiple_choice":
                values[question.id] = mine.suggested_answer_id.ids
            elif question.question_type == "simple_choice":
                values[question.id] = mine.suggested_answer_id[:1].id
            elif question.question_type == "datetime":
                values[question.id] = fields.Datetime.to_string(mine[0].value_datetime)
            elif question.question_type == "date":
                values[question.id] = fields.Date.to_string(mine[0].value_date)
            else:
                values[question.id] = mine[0][f"value_{question.question_type}"]
        return values

    # ------------------------------------------------------------------
    # Saving
    # ------------------------------------------------------------------

    def crm_survey_call_save(self, answers, page_id=False, finish=False):
        """Validate and save the agent's answers, write the mapped fields to
        the lead/contact and run the answers' actions (each once).

        ``answers``: ``{question_id: value}``: a suggested answer id (simple
        choice), a list of ids (multiple choice), a string (text, date
        ``YYYY-MM-DD``, datetime ``YYYY-MM-DD HH:MM:SS`` in UTC) or a number.
        Returns ``{"errors": {question_id: message}}`` without saving anything
        when an answer is invalid, else what changed.
        """
        self.ensure_one()
        self.check_access("write")
        answers = {int(qid): value for qid, value in (answers or {}).items()}
        questions = self.predefined_question_ids.filtered(
            lambda q: q.question_type in SUPPORTED_TYPES
        )
        unknown = set(answers) - set(questions.ids)
        if unknown:
            raise UserError(
                self.env._(
                    "These questions are not part of the script: %s",
                    ", ".join(map(str, sorted(unknown))),
                )
            )
        answers, errors = self._crm_normalize_answers(questions, answers)
        active = questions - self._crm_inactive_questions(questions, answers)
        for question in questions & self.env["survey.question"].browse(answers):
            if question not in active or question.id in errors:
                continue
            value = answers[question.id]
            if value in (None, "", []):
                # Not answered yet: the agent saves as the call goes on;
                # mandatory questions are checked when finishing.
                continue
            error = question.validate_question(value)
            if not error and question.crm_field:
                try:
                    question._crm_value_from_answer(
                        self._crm_raw_value(question, value)
                    )
                except ValidationError as exc:
                    error = {question.id: exc.args[0]}
            errors.update(error)
        if finish:
            merged = {**self._crm_current_values(questions), **answers}
            for question in active.filtered("constr_mandatory"):
                if merged.get(question.id) in (None, False, "", []):
                    errors.setdefault(
                        question.id,
                        question.constr_error_msg
                        or self.env._("This question requires an answer."),
                    )
        if errors:
            return {"errors": {str(qid): message for qid, message in errors.items()}}

        for question in questions.filtered(lambda q: q.id in answers):
            if question in active:
                self._save_lines(question, answers[question.id])
        self._clear_inactive_conditional_answers()
        vals = {"last_displayed_page_id": page_id or False}
        if finish:
            vals.update(state="done", end_datetime=fields.Datetime.now())
        elif self.state == "new":
            vals["state"] = "in_progress"
        self.write(vals)
        changes = self._crm_write_mapped_fields()
        ran = self._crm_run_actions()
        return {"errors": {}, "changes": changes, "actions": ran, "state": self.state}

    def _crm_normalize_answers(self, questions, answers):
        """Choice answers as ids of the question's suggestions."""
        errors = {}
        by_id = {q.id: q for q in questions}
        normalized = {}
        for qid, value in answers.items():
            question = by_id[qid]
            if question.question_type in CHOICE_TYPES:
                ids = value if isinstance(value, list) else [value]
                try:
                    ids = [int(v) for v in ids if v not in (None, False, "")]
                except (TypeError, ValueError):
                    ids = [-1]
                if set(ids) - set(question.suggested_answer_ids.ids):
                    errors[qid] = self.env._("This answer is not one of the choices.")
                normalized[qid] = ids
            elif isinstance(value, str):
                normalized[qid] = value.strip()
            elif value is None or value is False:
                normalized[qid] = ""
            else:
                normalized[qid] = value
        return normalized, errors

    def _crm_inactive_questions(self, questions, answers):
        """Questions hidden by their conditions once ``answers`` are applied."""
        selected = self.user_input_line_ids.filtered(
            lambda line: line.question_id.id not in answers
        ).suggested_answer_id
        for value in answers.values():
            if isinstance(value, list):
                selected |= self.env["survey.question.answer"].browse(value)
        inactive = self.env["survey.question"]
        # Conditions chain: a question hidden hides the ones its answers show.
        changed = True
        while changed:
            changed = False
            for question in questions - inactive:
                triggers = question.triggering_answer_ids
                if triggers and not triggers & selected:
                    inactive |= question
                    selected -= question.suggested_answer_ids
                    changed = True
        return inactive

    def _crm_raw_value(self, question, value):
        if question.question_type in CHOICE_TYPES:
            return self.env["survey.question.answer"].browse(value[:1])
        return value

    def _crm_write_mapped_fields(self):
        """Write the answers of mapped questions to the lead/contact and post
        what changed on its chatter. Returns the changes as text."""
        self.ensure_one()
        values = {}  # record -> {field name: value}
        lines = self.user_input_line_ids.filtered(lambda line: not line.skipped)
        for question in lines.question_id.filtered("crm_field"):
            record = self._crm_record_for_model(question.crm_field_model)
            if not record:
                continue
            mine = lines.filtered(lambda line, q=question: line.question_id == q)
            raw = (
                mine.suggested_answer_id[:1]
                if question.question_type in CHOICE_TYPES
                else mine[0][f"value_{question.question_type}"]
            )
            value = question._crm_value_from_answer(raw)
            values.setdefault(record, {})[question.crm_field_name] = value
        changes = []
        for record, vals in values.items():
            diff = {}
            for fname, value in vals.items():
                field = record._fields[fname]
                current = record[fname]
                current = current.id if field.type == "many2one" else current
                if current != value:
                    diff[fname] = value
            if not diff:
                continue
            before = {fname: record[fname] for fname in diff}
            record.write(diff)
            items = []
            for fname in diff:
                field = record._fields[fname]
                label = field._description_string(self.env)
                old = self._crm_display(record, field, before[fname])
                new = self._crm_display(record, field, record[fname])
                items.append(
                    Markup("<li>%s: %s → %s</li>") % (label, old or "—", new or "—")
                )
                changes.append(f"{label}: {new}")
            record.message_post(
                body=Markup("<p>%s</p><ul>%s</ul>")
                % (
                    self.env._("Call script “%s” updated:", self.survey_id.title),
                    Markup().join(items),
                ),
                subtype_xmlid="mail.mt_note",
            )
        return changes

    @api.model
    def _crm_display(self, record, field, value):
        if field.type == "many2one":
            return html_escape(value.display_name) if value else ""
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value or "")
        if field.type == "boolean":
            return self.env._("Yes") if value else self.env._("No")
        if value is False or value is None:
            return ""
        return str(value)

    def _crm_run_actions(self):
        """Run the actions of the given answers; each runs once per script
        answer however often the agent saves (the log's unique key)."""
        self.ensure_one()
        lines = self.user_input_line_ids.filtered(lambda line: not line.skipped)
        answered = lines.question_id
        selected = lines.suggested_answer_id
        actions = answered.crm_action_ids.filtered(
            lambda a: a.answer_id in selected if a.answer_id else True
        ).sorted(lambda a: (a.question_id.sequence, a.question_id.id, a.sequence, a.id))
        done = self.action_log_ids.action_id
        Log = self.env["crm.survey.call.action.log"]
        ran = []
        for action in actions - done:
            if not action._is_applicable(self):
                continue
            log = Log._claim(self, action)
            if not log:
                continue
            summary = action._run(self)
            log.summary = summary
            ran.append(summary)
        if ran:
            self.invalidate_recordset(["action_log_ids"])
        return ran
