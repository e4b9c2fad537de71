from odoo import fields, models


class CrmCallcenterProvider(models.Model):
    _inherit = "crm.callcenter.provider"

    script_id = fields.Many2one(
        "survey.survey",
        string="Inbound Call Script",
        domain=[("is_call_script", "=", True)],
        help="Shown to agents on calls of this center (a line's own script wins).",
    )
