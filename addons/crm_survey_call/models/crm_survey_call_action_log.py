from odoo import fields, models
from odoo.tools import SQL


class CrmSurveyCallActionLog(models.Model):
    """An answer action that ran for a script answer: it never runs twice."""

    _name = "crm.survey.call.action.log"
    _description = "Call Script Action Run"
    _order = "id desc"

    user_input_id = fields.Many2one(
        "survey.user_input", required=True, ondelete="cascade", index=True
    )
    action_id = fields.Many2one(
        "crm.survey.call.action", required=True, ondelete="cascade", index=True
    )
    summary = fields.Char()

    _user_input_action_uniq = models.Constraint(
        "UNIQUE(user_input_id, action_id)",
        "An answer action runs only once per script answer.",
    )

    def _claim(self, user_input, action):
        """Record that ``action`` runs for ``user_input``; False when it already
        did. The unique key decides, so two saves at once cannot both run it."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_survey_call_action_log
                       (user_input_id, action_id, create_uid, create_date,
                        write_uid, write_date)
                VALUES (%(input)s, %(action)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
                        %(uid)s, NOW() AT TIME ZONE 'UTC')
                ON CONFLICT (user_input_id, action_id) DO NOTHING
                RETURNING id
                """,
                input=user_input.id,
                action=action.id,
                uid=self.env.uid,
            )
        )
        row = self.env.cr.fetchone()
        return self.browse(row[0]) if row else False
