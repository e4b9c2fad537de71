from odoo import api, fields, models
from odoo.exceptions import ValidationError

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]


class CrmTelesalesWindow(models.Model):
    """A weekday's calling hours of a campaign, in each target's own time."""

    _name = "crm.telesales.window"
    _description = "Telesales Calling Window"
    _order = "campaign_id, weekday, hour_from"

    campaign_id = fields.Many2one(
        "crm.telesales.campaign", required=True, ondelete="cascade", index=True
    )
    weekday = fields.Selection(WEEKDAYS, required=True, default="0")
    hour_from = fields.Float("From", required=True, default=9.0)
    hour_to = fields.Float("To", required=True, default=18.0)

    @api.constrains("hour_from", "hour_to")
    def _check_hours(self):
        for window in self:
            if not 0 <= window.hour_from < window.hour_to <= 24:
                raise ValidationError(
                    self.env._(
                        "A calling window must start before it ends, "
                        "between 00:00 and 24:00."
                    )
                )
