from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    callcenter_service_level_seconds = fields.Integer(
        "Service Level Threshold (s)",
        default=20,
        help="An inbound call answered within this many seconds of its first "
        "ring counts towards the service level.",
    )

    _callcenter_service_level_seconds_positive = models.Constraint(
        "CHECK(callcenter_service_level_seconds > 0)",
        "The call center's service level threshold must be a positive number "
        "of seconds.",
    )
