from datetime import date, datetime

from odoo.exceptions import ValidationError
from odoo.tests import new_test_user

from .common import ScriptCase


class TestMapping(ScriptCase):
    """Answers → typed CRM field values, and back for prefilling."""

    def _mapped(self, model, fname, qtype, answers=()):
        return self._question(
            f"{model}.{fname}?",
            qtype,
            50,
            answers=answers,
            crm_field=f"{model}:{fname}",
        )

    def test_char_and_number(self):
        city = self._mapped("crm.lead", "city", "char_box")
        self.assertEqual(city._crm_value_from_answer("  Đà Nẵng "), "Đà Nẵng")
        revenue = self._mapped("crm.lead", "expected_revenue", "numerical_box")
        self.assertEqual(revenue._crm_value_from_answer(1500.5), 1500.5)
        self.assertEqual(revenue._crm_value_from_answer("20000"), 20000.0)
        color = self._mapped("res.partner", "color", "numerical_box")
        self.assertEqual(color._crm_value_from_answer("3"), 3)
        with self.assertRaisesRegex(ValidationError, "whole number"):
            color._crm_value_from_answer("3.5")
        with self.assertRaises(ValidationError):
            revenue._crm_value_from_answer("lots")

    def test_selection_by_label_or_key(self):
        priority = self._mapped(
            "crm.lead", "priority", "simple_choice", answers=["High", "3", "Hot"]
        )
        high, key, hot = priority.suggested_answer_ids
        self.assertEqual(priority._crm_value_from_answer(high), "2")
        self.assertEqual(priority._crm_value_from_answer(key), "3")
        with self.assertRaisesRegex(ValidationError, "not one of the choices"):
            priority._crm_value_from_answer(hot)

    def test_many2one_by_name(self):
        country = self._mapped("crm.lead", "country_id", "char_box")
        self.assertEqual(country._crm_value_from_answer("vietnam"), self.vn.id)
        with self.assertRaisesRegex(ValidationError, "no Country is named"):
            country._crm_value_from_answer("Atlantis")
        self.env["utm.source"].create([{"name": "Radio"}, {"name": "radio"}])
        source = self._mapped("crm.lead", "source_id", "char_box")
        with self.assertRaisesRegex(ValidationError, "several"):
            source._crm_value_from_answer("Radio")

    def test_dates(self):
        deadline = self._mapped("crm.lead", "date_deadline", "date")
        self.assertEqual(
            deadline._crm_value_from_answer("2026-12-24"), date(2026, 12, 24)
        )
        with self.assertRaises(ValidationError):
            deadline._crm_value_from_answer("24/12/2026")
        from_datetime = self._question(
            "When?",
            "datetime",
            51,
            crm_field="crm.lead:date_deadline",
        )
        self.assertEqual(
            from_datetime._crm_value_from_answer("2026-12-24 15:30:00"),
            date(2026, 12, 24),
        )

    def test_boolean_words(self):
        company = self._mapped(
            "res.partner", "is_company", "simple_choice", answers=["Có", "Нет", "Maybe"]
        )
        yes, no, maybe = company.suggested_answer_ids
        self.assertIs(company._crm_value_from_answer(yes), True)
        self.assertIs(company._crm_value_from_answer(no), False)
        with self.assertRaisesRegex(ValidationError, "yes or no"):
            company._crm_value_from_answer(maybe)

    def test_mappable_fields_offered_to_survey_managers(self):
        manager = new_test_user(
            self.env, login="sc_survey_manager", groups="survey.group_survey_manager"
        )
        options = dict(
            self.env["survey.question"].with_user(manager)._selection_crm_field()
        )
        self.assertIn("crm.lead:city", options)
        self.assertIn("res.partner:is_company", options)
        self.assertNotIn("crm.lead:message_ids", options, "not a mappable type")
        self.assertNotIn("crm.lead:create_date", options, "technical")
        question = self.q_city.with_user(manager)
        question.crm_field = "crm.lead:street"
        self.assertEqual(question.crm_field_name, "street")

    def test_incompatible_question_type_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot fill the field"):
            self._mapped("crm.lead", "date_deadline", "numerical_box")
        with self.assertRaisesRegex(ValidationError, "cannot fill the field"):
            self.q_city.question_type = "multiple_choice"

    def test_numbers_the_field_cannot_hold_are_refused_by_question(self):
        """A typo such as 30000000000 for a whole-number field, or a number
        beyond floats: the agent is told which answer, nothing is saved
        (the database refused it before, after the answers were saved)."""
        color = self._mapped("res.partner", "color", "numerical_box")
        revenue = self._mapped("crm.lead", "expected_revenue", "numerical_box")
        call = self.make_call()
        answer = self.open_script(call, self.agent)
        result = answer.crm_survey_call_save(
            {color.id: 30000000000, revenue.id: "1e400"}
        )
        self.assertEqual(set(result["errors"]), {str(color.id), str(revenue.id)})
        self.assertIn("out of range", result["errors"][str(color.id)])
        self.assertEqual(result["errors"][str(revenue.id)], "This is not a number")
        self.assertFalse(
            answer.user_input_line_ids.filtered(
                lambda line: line.question_id in color | revenue
            ),
            "nothing is saved",
        )
        with self.assertRaisesRegex(ValidationError, "out of range"):
            color._crm_value_from_answer(-(2**31) - 1)
        self.assertEqual(color._crm_value_from_answer(2**31 - 1), 2**31 - 1)

    def test_save_writes_fields_with_chatter_and_refuses_invalid(self):
        deadline = self._mapped("crm.lead", "date_deadline", "date")
        country = self._mapped("crm.lead", "country_id", "char_box")
        call = self.make_call()
        answer = self.open_script(call, self.agent)
        result = answer.crm_survey_call_save(
            {
                self.q_interest.id: [self.a_later.id],
                country.id: "Atlantis",
                deadline.id: "not a date",
            }
        )
        self.assertEqual(set(result["errors"]), {str(country.id), str(deadline.id)})
        self.assertIn("Atlantis", result["errors"][str(country.id)])
        self.assertFalse(
            answer.user_input_line_ids.filtered(
                lambda line: line.question_id == self.q_interest
            ),
            "nothing is saved while an answer is invalid",
        )
        messages_before = self.lead.message_ids
        result = answer.crm_survey_call_save(
            {
                self.q_interest.id: [self.a_later.id],
                country.id: "Vietnam",
                deadline.id: "2026-12-24",
                self.q_city.id: "Hà Nội",
                self.q_priority.id: [self.q_priority.suggested_answer_ids[1].id],
            }
        )
        self.assertEqual(result["errors"], {})
        self.assertRecordValues(
            self.lead,
            [
                {
                    "country_id": self.vn.id,
                    "date_deadline": date(2026, 12, 24),
                    "city": "Hà Nội",
                    "priority": "2",
                }
            ],
        )
        note = self.lead.message_ids - messages_before
        self.assertEqual(len(note), 1, "one chatter message lists the changes")
        self.assertIn("Huế → Hà Nội", note.body)
        self.assertIn("Vietnam", note.body)
        # Saving again without changes posts nothing more.
        answer.crm_survey_call_save({self.q_city.id: "Hà Nội"})
        self.assertEqual(self.lead.message_ids - messages_before, note)

    def test_partner_field_written_on_contact(self):
        company = self._mapped(
            "res.partner", "is_company", "simple_choice", answers=["Yes", "No"]
        )
        answer = self.open_script(self.make_call(), self.agent)
        answer.crm_survey_call_save({company.id: [company.suggested_answer_ids[0].id]})
        self.assertTrue(self.customer.is_company)
        self.assertEqual(answer.partner_id, self.customer)

    def test_datetime_answer_saved_in_utc(self):
        # A campaign answer at a given time, kept in UTC as sent by the panel.
        call = self.make_target_call()
        answer = self.open_script(call, self.agent)
        answer.crm_survey_call_save(
            {
                self.q_interest.id: [self.a_later.id],
                self.q_callback.id: "2026-12-01 08:30:00",
            }
        )
        line = answer.user_input_line_ids.filtered(
            lambda line: line.question_id == self.q_callback
        )
        self.assertEqual(line.value_datetime, datetime(2026, 12, 1, 8, 30))
