from odoo import fields, models


class SurveySurvey(models.Model):
    _inherit = "survey.survey"

    is_call_script = fields.Boolean(
        "Call Script",
        help="Agents fill this survey in the back office during calls; its "
        "answers can update the lead or contact and trigger actions.",
    )
