import math

from odoo import api, fields, models
from odoo.addons.crm_callcenter.tools.storable import INT_MAX, INT_MIN
from odoo.exceptions import ValidationError

# Field types a question can write, and the question types that can feed them.
MAPPABLE = {
    "char": ("char_box", "text_box", "simple_choice", "numerical_box", "date"),
    "text": ("char_box", "text_box", "simple_choice"),
    "selection": ("simple_choice", "char_box"),
    "many2one": ("simple_choice", "char_box"),
    "date": ("date", "datetime"),
    "datetime": ("datetime", "date"),
    "integer": ("numerical_box",),
    "float": ("numerical_box",),
    "monetary": ("numerical_box",),
    "boolean": ("simple_choice", "char_box"),
}
CRM_MODELS = ("crm.lead", "res.partner")
# Words an answer may use for a yes/no field, in the seeds' languages too.
TRUE_WORDS = {"yes", "y", "true", "1", "có", "co", "да", "evet"}
FALSE_WORDS = {"no", "n", "false", "0", "không", "khong", "нет", "hayır", "hayir"}


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    crm_field = fields.Selection(
        selection="_selection_crm_field",
        string="Save Answer To",
        help="Call scripts: the answer is written to this field of the call's "
        "lead or contact when the agent saves, and the field's current value "
        "is shown as the answer when the script opens.",
    )
    crm_field_model = fields.Char(compute="_compute_crm_field_parts", store=True)
    crm_field_name = fields.Char(compute="_compute_crm_field_parts", store=True)
    survey_is_call_script = fields.Boolean(related="survey_id.is_call_script")
    crm_action_ids = fields.One2many(
        "crm.survey.call.action",
        "question_id",
        string="Answer Actions",
        copy=True,
        help="Run once when the question is answered (or the given answer "
        "is chosen) in a call script.",
    )

    @api.model
    def _selection_crm_field(self):
        """Fields of leads and contacts an answer can fill: stored, editable,
        of a supported type, not technical nor restricted to some groups."""
        options = []
        for model_name in CRM_MODELS:
            model = self.env[model_name]
            for name, field in model._fields.items():
                if (
                    field.type in MAPPABLE
                    and field.store
                    and not field.readonly
                    and not field.groups
                    and not name.startswith(("message_", "activity_", "website_"))
                ):
                    label = field._description_string(self.env)
                    options.append(
                        (f"{model_name}:{name}", f"{model._description} / {label}")
                    )
        return sorted(options, key=lambda option: option[1])

    @api.depends("crm_field")
    def _compute_crm_field_parts(self):
        for question in self:
            model, _sep, name = (question.crm_field or "").partition(":")
            question.crm_field_model = model or False
            question.crm_field_name = name or False

    @api.constrains("crm_field", "question_type")
    def _check_crm_field(self):
        for question in self.filtered("crm_field"):
            field = question._crm_field()
            allowed = MAPPABLE.get(field.type, ())
            if question.question_type not in allowed:
                type_labels = dict(
                    self._fields["question_type"]._description_selection(self.env)
                )
                raise ValidationError(
                    self.env._(
                        "Question “%(question)s” (%(type)s) cannot fill the field "
                        "%(field)s of type %(field_type)s.",
                        question=question.title,
                        type=type_labels.get(question.question_type),
                        field=field._description_string(self.env),
                        field_type=field.type,
                    )
                )

    # ------------------------------------------------------------------
    # Answer → field value
    # ------------------------------------------------------------------

    def _crm_field(self):
        self.ensure_one()
        model, _sep, name = self.crm_field.partition(":")
        return self.env[model]._fields[name]

    def _crm_answer_text(self, raw):
        """The answer as text: a suggested answer's label or the typed value."""
        if isinstance(raw, models.BaseModel):
            return (raw.value or "").strip()
        return str(raw).strip() if raw not in (None, False) else ""

    def _crm_value_from_answer(self, raw):
        """Convert an answer to a value of the mapped field.

        ``raw`` is a ``survey.question.answer`` record (choices), a string
        (text, date) or a number. Raises ``ValidationError`` naming the
        question when the answer does not fit the field.
        """
        self.ensure_one()
        field = self._crm_field()
        ttype = field.type
        text = self._crm_answer_text(raw)
        if not text and not isinstance(raw, (int, float)):
            return False
        try:
            if ttype in ("char", "text"):
                return text
            if ttype == "selection":
                return self._crm_selection_key(field, text)
            if ttype == "many2one":
                return self._crm_many2one_id(field, text)
            if ttype == "boolean":
                return self._crm_boolean(text)
            if ttype in ("integer", "float", "monetary"):
                number = float(raw) if not isinstance(raw, str) else float(text)
                if ttype == "integer":
                    if not number.is_integer():
                        raise ValueError(
                            self.env._("a whole number is expected, not %s", text)
                        )
                    if not INT_MIN <= number <= INT_MAX:
                        raise ValueError(self.env._("%s is out of range", text))
                    return int(number)
                return number
            if ttype == "date":
                return fields.Date.to_date(text[:10])
            if ttype == "datetime":
                return fields.Datetime.to_datetime(text)
        except ValueError as error:
            raise ValidationError(
                self.env._(
                    "“%(question)s”: %(error)s",
                    question=self.title,
                    error=str(error) or self.env._("invalid value"),
                )
            ) from error
        raise ValidationError(
            self.env._("“%(question)s”: unsupported field.", question=self.title)
        )

    def _validate_numerical_box(self, answer):
        # Core reads "1e400", "inf" or "nan" as numbers, then fails to save
        # them (its own check rounds them): refused as the other non-numbers.
        errors = super()._validate_numerical_box(answer)
        if not errors and not math.isfinite(float(answer)):
            return {self.id: self.env._("This is not a number")}
        return errors

    def _crm_selection_key(self, field, text):
        choices = field._description_selection(self.env)
        folded = text.casefold()
        for key, label in choices:
            if folded in (str(key).casefold(), str(label).casefold()):
                return key
        raise ValueError(
            self.env._(
                "“%(value)s” is not one of the choices of %(field)s: %(choices)s",
                value=text,
                field=field._description_string(self.env),
                choices=", ".join(label for _key, label in choices),
            )
        )

    def _crm_many2one_id(self, field, text):
        comodel = self.env[field.comodel_name]
        found = comodel.search([(comodel._rec_name or "id", "=ilike", text)], limit=2)
        if not found:
            raise ValueError(
                self.env._(
                    "no %(model)s is named “%(value)s”",
                    model=comodel._description,
                    value=text,
                )
            )
        if len(found) > 1:
            raise ValueError(
                self.env._(
                    "several %(model)s records are named “%(value)s”",
                    model=comodel._description,
                    value=text,
                )
            )
        return found.id

    def _crm_boolean(self, text):
        folded = text.casefold()
        if folded in TRUE_WORDS:
            return True
        if folded in FALSE_WORDS:
            return False
        raise ValueError(self.env._("“%s” is not a yes or no answer", text))

    # ------------------------------------------------------------------
    # Field value → answer (prefill)
    # ------------------------------------------------------------------

    def _crm_answer_from_record(self, record):
        """The answer that shows ``record``'s current value, in the format of
        ``survey.user_input._save_lines``, or None when there is nothing to show
        (empty field, no matching suggested answer)."""
        self.ensure_one()
        field = self._crm_field()
        value = record[field.name]
        # Nothing known (an empty field, or a zero amount) is not an answer.
        if field.type != "boolean" and (value is False or value is None or not value):
            return None
        if self.question_type in ("simple_choice", "multiple_choice"):
            answer = self._crm_matching_suggestion(field, value)
            return answer.id if answer else None
        if self.question_type == "numerical_box":
            return value if isinstance(value, (int, float)) else None
        if self.question_type == "date":
            return fields.Date.to_string(
                value.date() if field.type == "datetime" else value
            )
        if self.question_type == "datetime":
            return fields.Datetime.to_string(value)
        return self._crm_value_as_text(field, value)

    def _crm_value_as_text(self, field, value):
        if field.type == "many2one":
            return value.display_name
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value)
        if field.type == "boolean":
            return self.env._("Yes") if value else self.env._("No")
        if field.type == "date":
            return fields.Date.to_string(value)
        return str(value)

    def _crm_matching_suggestion(self, field, value):
        for answer in self.suggested_answer_ids:
            try:
                converted = self._crm_value_from_answer(answer)
            except ValidationError:
                continue
            if field.type == "many2one":
                if converted == value.id:
                    return answer
            elif converted == value:
                return answer
        return self.env["survey.question.answer"]

    # ------------------------------------------------------------------
    # Script panel
    # ------------------------------------------------------------------

    def _crm_script_dict(self):
        """What the script panel needs to show and check the question."""
        self.ensure_one()
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description or "",
            "type": self.question_type,
            "mandatory": self.constr_mandatory,
            "placeholder": self.question_placeholder or "",
            "answers": [
                {"id": answer.id, "value": answer.value}
                for answer in self.suggested_answer_ids
            ],
            "triggering_answer_ids": self.triggering_answer_ids.ids,
            "field": (
                self.crm_field and self._crm_field()._description_string(self.env)
            )
            or "",
        }
