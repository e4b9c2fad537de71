from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

PRESENCE_SELECTION = [
    ("available", "Available"),
    ("in_call", "In Call"),
    ("wrap_up", "Wrap-up"),
    ("away", "Away"),
    ("offline", "Offline"),
]
# What an agent may choose; in call and wrap-up follow the calls.
AGENT_PRESENCE = ("available", "away", "offline")


class ResUsers(models.Model):
    _inherit = "res.users"

    callcenter_extension_ids = fields.One2many(
        "crm.callcenter.extension", "user_id", string="Call Center Extensions"
    )
    callcenter_presence = fields.Selection(
        PRESENCE_SELECTION,
        string="Call Center Presence",
        default="offline",
        required=True,
        readonly=True,
        copy=False,
    )
    callcenter_away_reason_id = fields.Many2one(
        "crm.callcenter.away.reason",
        string="Away Reason",
        readonly=True,
        copy=False,
        help="Why the agent is away, as they chose it.",
    )
    callcenter_presence_since = fields.Datetime(
        "Presence Since", readonly=True, copy=False
    )
    callcenter_wrapup_until = fields.Datetime(
        "Wrap-up Until", readonly=True, copy=False
    )
    callcenter_calendar_id = fields.Many2one(
        "resource.calendar",
        "Call Center Shifts",
        help="The agent's working hours, for the schedule adherence of the "
        "call center dashboard; empty: their company's working hours.",
    )
    callcenter_auto_open = fields.Boolean(
        "Open Caller on Answer",
        default=True,
        help="When you answer a call, open the caller's lead or contact by itself.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return [
            *super().SELF_READABLE_FIELDS,
            "callcenter_presence",
            "callcenter_away_reason_id",
            "callcenter_presence_since",
            "callcenter_auto_open",
        ]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return [*super().SELF_WRITEABLE_FIELDS, "callcenter_auto_open"]

    def unlink(self):
        res = super().unlink()
        # Their extensions went with them (ondelete cascade, in SQL).
        self.env.registry.clear_cache()
        return res

    # ------------------------------------------------------------------
    # Presence
    # ------------------------------------------------------------------

    @api.model
    def callcenter_set_presence(self, presence, away_reason_id=False):
        """The agent sets their own presence (available, away or offline),
        and why they are away (an active away reason) if they wish."""
        if presence not in AGENT_PRESENCE:
            raise UserError(self.env._("This presence is set by your calls."))
        user = self.env.user
        if not user.has_group("crm_callcenter.crm_callcenter_group_agent"):
            raise UserError(self.env._("Only call center agents have a presence."))
        reason = self.env["crm.callcenter.away.reason"]
        if away_reason_id:
            if presence != "away":
                raise UserError(self.env._("Only an agent who is away has a reason."))
            try:
                reason = reason.browse(int(away_reason_id)).exists()
            except (TypeError, ValueError):
                reason = reason.browse()
            if not reason or not reason.active:
                raise UserError(self.env._("This away reason is not in use any more."))
        if user.callcenter_presence == "in_call" and presence == "available":
            # Still on a call: it moves on by itself when the call ends.
            return user._callcenter_presence_dict()
        # The agent's own row, written as superuser since the field is readonly.
        user.sudo()._callcenter_update_presence(presence, away_reason=reason)
        return user._callcenter_presence_dict()

    def _callcenter_presence_dict(self):
        self.ensure_one()
        reason = self.sudo().callcenter_away_reason_id
        return {
            "presence": self.callcenter_presence,
            "away_reason": {"id": reason.id, "name": reason.name} if reason else False,
            "presence_since": fields.Datetime.to_string(self.callcenter_presence_since)
            or False,
            "wrapup_until": fields.Datetime.to_string(self.callcenter_wrapup_until)
            or False,
        }

    def _callcenter_update_presence(self, presence, wrapup_seconds=0, away_reason=None):
        """Move users to ``presence`` (``away_reason``: why they are away)
        and tell their browsers."""
        now = fields.Datetime.now()
        reason = (
            away_reason or self.env["crm.callcenter.away.reason"]
            if presence == "away"
            else self.env["crm.callcenter.away.reason"]
        )

        def changes(user):
            return user.callcenter_presence != presence or (
                # Another reason while away: a new stretch of the history.
                presence == "away" and user.callcenter_away_reason_id != reason
            )

        users = self.filtered(lambda u: changes(u) or presence == "wrap_up")
        if not users:
            return
        self.env["crm.callcenter.presence.log"]._log_changes(
            users.filtered(changes), presence, now, reason
        )
        wrapup_until = False
        if presence == "wrap_up":
            wrapup_until = now + timedelta(seconds=wrapup_seconds)
        users.write(
            {
                "callcenter_presence": presence,
                "callcenter_away_reason_id": reason.id,
                "callcenter_presence_since": now,
                "callcenter_wrapup_until": wrapup_until,
            }
        )
        for user in users:
            user._bus_send("crm_callcenter/presence", user._callcenter_presence_dict())
        if wrapup_until:
            self.env["crm.callcenter.event"]._trigger_cron(
                "crm_callcenter.ir_cron_crm_callcenter_wrapup_end", wrapup_until
            )

    def _callcenter_call_started(self):
        self._callcenter_update_presence("in_call")

    def _callcenter_call_ended(self, wrapup_seconds):
        """After a call: wrap-up for the configured time, unless on another call."""
        busy = (
            self.env["crm.callcenter.call"]
            .sudo()
            ._read_group(
                [("user_id", "in", self.ids), ("state", "=", "answered")], ["user_id"]
            )
        )
        busy_users = self.browse([user.id for (user,) in busy])
        users = (self - busy_users).filtered(
            lambda u: u.callcenter_presence in ("in_call", "available", "wrap_up")
        )
        if wrapup_seconds > 0:
            users._callcenter_update_presence("wrap_up", wrapup_seconds)
        else:
            users._callcenter_update_presence("available")

    def _callcenter_end_wrapup(self):
        """Wrap-up is over (logged the call, or the time ran out)."""
        self.filtered(
            lambda u: u.callcenter_presence == "wrap_up"
        )._callcenter_update_presence("available")

    @api.model
    def _cron_callcenter_wrapup_end(self):
        # The agents' rows are the ones call events write.
        self.env["ir.cron"]._callcenter_retrying(self._callcenter_end_due_wrapups)

    @api.model
    def _callcenter_end_due_wrapups(self):
        users = self.sudo().search(
            [
                ("callcenter_presence", "=", "wrap_up"),
                ("callcenter_wrapup_until", "<=", fields.Datetime.now()),
            ]
        )
        users._callcenter_end_wrapup()

    @api.model
    def _callcenter_available_domain(self):
        """Agents free to take a call now (the dialer's question)."""
        return [
            "|",
            ("callcenter_presence", "=", "available"),
            "&",
            ("callcenter_presence", "=", "wrap_up"),
            ("callcenter_wrapup_until", "<=", fields.Datetime.now()),
        ]
