from odoo.exceptions import AccessError
from odoo.tests import new_test_user

from .common import ScriptCase


class TestSecurity(ScriptCase):
    def test_agent_sees_only_answers_of_their_calls(self):
        self.campaign.user_ids |= self.agent_b
        mine = self.open_script(self.make_target_call("sec-a"), self.agent)
        mine.crm_survey_call_save({self.q_city.id: "Vinh"})
        theirs = self.open_script(self.make_call("sec-b", agent="102"), self.agent_b)
        UserInput = self.env["survey.user_input"]
        self.assertEqual(
            UserInput.with_user(self.agent).search([]), mine, "agent A: theirs only"
        )
        self.assertEqual(UserInput.with_user(self.agent_b).search([]), theirs)
        Line = self.env["survey.user_input.line"]
        self.assertEqual(Line.with_user(self.agent_b).search([]).user_input_id, theirs)
        with self.assertRaises(AccessError):
            theirs.with_user(self.agent).crm_survey_call_get_data()
        with self.assertRaises(AccessError):
            theirs.with_user(self.agent).crm_survey_call_save({self.q_city.id: "x"})
        # Managers see all script answers.
        self.assertEqual(UserInput.with_user(self.manager).search([]), mine | theirs)

    def test_agent_cannot_open_another_agents_call(self):
        call_b = self.make_call("sec-c", agent="102")
        with self.assertRaises(AccessError):
            call_b.with_user(self.agent).action_open_script()

    def test_agent_reads_scripts_not_other_surveys(self):
        other = self.env["survey.survey"].create({"title": "HR survey"})
        Survey = self.env["survey.survey"].with_user(self.agent)
        self.assertIn(self.script, Survey.search([]))
        self.assertNotIn(other, Survey.search([]))

    def test_salesperson_without_call_center_sees_nothing(self):
        self.open_script(self.make_target_call("sec-d"), self.agent)
        salesman = new_test_user(
            self.env, login="sc_sales", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            self.env["survey.user_input"].with_user(salesman).search([])
