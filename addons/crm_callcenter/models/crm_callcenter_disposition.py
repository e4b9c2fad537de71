from odoo import fields, models


class CrmCallcenterDisposition(models.Model):
    """What came of a call, chosen by the agent when logging it."""

    _name = "crm.callcenter.disposition"
    _description = "Call Disposition"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_success = fields.Boolean(
        "Counts as Success",
        help="Calls logged with this disposition count as successful in reports.",
    )
    company_id = fields.Many2one("res.company", help="Leave empty for all companies.")
