from odoo import fields, models


class CrmCallcenterAwayReason(models.Model):
    """Why an agent is away (a break, lunch, training...): chosen in the
    systray, kept in the presence history for the time spent on each."""

    _name = "crm.callcenter.away.reason"
    _description = "Agent Away Reason"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
