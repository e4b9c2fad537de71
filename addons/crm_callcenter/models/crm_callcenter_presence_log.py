from odoo import fields, models

from .res_users import PRESENCE_SELECTION


class CrmCallcenterPresenceLog(models.Model):
    """One stretch of an agent's presence, for occupancy and idle time."""

    _name = "crm.callcenter.presence.log"
    _description = "Agent Presence Log"
    _order = "date_start desc, id desc"
    _rec_name = "user_id"

    user_id = fields.Many2one(
        "res.users", "Agent", required=True, readonly=True, ondelete="cascade"
    )
    presence = fields.Selection(PRESENCE_SELECTION, required=True, readonly=True)
    date_start = fields.Datetime("Start", required=True, readonly=True)
    date_end = fields.Datetime(
        "End", readonly=True, help="Empty while the agent is still in this presence."
    )

    _user_start_idx = models.Index("(user_id, date_start)")
    _open_idx = models.Index("(user_id) WHERE date_end IS NULL")

    def _log_changes(self, users, presence, now):
        """Close the open stretch of ``users`` and open one in ``presence``."""
        if not users:
            return
        # Written by the presence logic, whoever triggered it (an agent, a
        # provider's event): the log itself is read by managers only.
        logs = self.sudo()
        logs.search([("user_id", "in", users.ids), ("date_end", "=", False)]).write(
            {"date_end": now}
        )
        logs.create(
            [
                {"user_id": user.id, "presence": presence, "date_start": now}
                for user in users
            ]
        )
