from odoo import fields, models


class CrmCallcenterDid(models.Model):
    _inherit = "crm.callcenter.did"

    script_id = fields.Many2one(
        "survey.survey",
        string="Call Script",
        domain=[("is_call_script", "=", True)],
        help="Shown to agents on calls to this number, instead of the "
        "provider's script.",
    )
