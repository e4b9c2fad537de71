from odoo import fields, models
from odoo.tools import SQL

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
    away_reason_id = fields.Many2one(
        "crm.callcenter.away.reason",
        readonly=True,
        ondelete="set null",
    )
    date_start = fields.Datetime("Start", required=True, readonly=True)
    date_end = fields.Datetime(
        "End", readonly=True, help="Empty while the agent is still in this presence."
    )
    duration_hours = fields.Float(
        "Duration",
        readonly=True,
        aggregator="sum",
        help="From start to end; empty while the agent is still in this presence.",
    )

    _user_start_idx = models.Index("(user_id, date_start)")
    _open_idx = models.Index("(user_id) WHERE date_end IS NULL")
    # The dashboard's schedule adherence: the stretches that end in (or
    # after the start of) its period, whatever the agent.
    _end_idx = models.Index("(date_end)")

    def _log_changes(self, users, presence, now, away_reason=None):
        """Close the open stretch of ``users`` and open one in ``presence``
        (for ``away_reason``, when away)."""
        if not users:
            return
        # Written by the presence logic, whoever triggered it (an agent, a
        # provider's event); the log itself is read by managers only. One
        # statement: presence changes with most call events.
        self.flush_model(["date_end", "duration_hours"])
        self.env.cr.execute(
            SQL(
                """
                WITH closed AS (
                    UPDATE crm_callcenter_presence_log
                       SET date_end = %(now)s, write_date = %(now)s,
                           write_uid = %(uid)s,
                           duration_hours = GREATEST(
                               EXTRACT(EPOCH FROM %(now)s - date_start), 0
                           ) / 3600.0
                     WHERE user_id = ANY(%(users)s) AND date_end IS NULL
                )
                INSERT INTO crm_callcenter_presence_log
                    (user_id, presence, away_reason_id, date_start, create_uid,
                     write_uid, create_date, write_date)
                SELECT user_id, %(presence)s, %(reason)s, %(now)s, %(uid)s,
                       %(uid)s, %(now)s, %(now)s
                  FROM unnest(%(users)s) AS user_id
                """,
                now=now,
                uid=self.env.uid,
                users=users.ids,
                presence=presence,
                reason=away_reason.id if away_reason else None,
            ),
            # An agent's row written by two transactions at once (a call
            # event and the wrap-up cron) fails one of them, which is
            # retried: not an error for the log.
            log_exceptions=False,
        )
        self.invalidate_model(["date_end", "duration_hours", "write_date", "write_uid"])
