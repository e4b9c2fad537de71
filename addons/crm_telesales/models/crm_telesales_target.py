from datetime import datetime, timedelta

import phonenumbers
import pytz
from phonenumbers import timezone as phone_timezone

from odoo import api, fields, models
from odoo.addons.crm_callcenter.tools.phone import normalize_number
from odoo.exceptions import AccessError, UserError
from odoo.tools import html_escape

STATES = [
    ("pending", "Pending"),
    ("scheduled", "Scheduled"),
    ("dialing", "Dialing"),
    ("in_call", "In Call"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("rejected", "Rejected"),
    ("rescheduled", "Rescheduled"),
    ("do_not_call", "Do Not Call"),
]
# Targets the dialer may still call (when due).
OPEN_STATES = ("pending", "scheduled", "rescheduled")
RESULTS = [
    ("success", "Success"),
    ("reached", "Reached"),
    ("refused", "Refused"),
    ("callback", "Call Back Requested"),
    ("busy", "Busy"),
    ("no_answer", "No Answer"),
    ("failed", "Failed"),
    ("abandoned", "Abandoned"),
    ("wrong_number", "Wrong Number"),
]
# How long an answered call waits in the workspace for the agent's wrap-up.
WRAP_UP_HOURS = 12
# Call outcomes (crm_callcenter) that are worth another attempt.
RETRY_RESULTS = {
    "busy": "busy",
    "no_answer": "no_answer",
    "missed": "no_answer",
    "cancelled": "no_answer",
    "voicemail": "no_answer",
    "failed": "failed",
}


class CrmTelesalesTarget(models.Model):
    _name = "crm.telesales.target"
    _description = "Telesales Target"
    _inherit = ["mail.thread"]
    _order = "priority desc, next_attempt_at, id"
    _rec_name = "name"

    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    campaign_id = fields.Many2one(
        "crm.telesales.campaign", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="campaign_id.company_id", store=True)
    partner_id = fields.Many2one(
        "res.partner", string="Contact", index="btree_not_null"
    )
    lead_id = fields.Many2one("crm.lead", index="btree_not_null")
    phone = fields.Char(
        required=True, help="The number called, in international (E.164) format."
    )
    tz = fields.Char(
        "Time Zone",
        compute="_compute_tz",
        store=True,
        help="The calling windows are read in this time zone: the contact's, "
        "else the one of the number's country or region.",
    )
    payload = fields.Json(
        help="Data from the source system (application number, address...), "
        "shown to the agent."
    )
    payload_html = fields.Html(
        "Customer Data", compute="_compute_payload_html", sanitize=False
    )
    external_ref = fields.Char(
        "External Reference",
        index="btree_not_null",
        copy=False,
        help="The source system's id of this task; imports and the API update "
        "the target that has it instead of adding another one.",
    )
    priority = fields.Integer(default=0, help="Higher first.")
    state = fields.Selection(
        STATES, required=True, default="pending", tracking=True, index=True, copy=False
    )
    attempts = fields.Integer(readonly=True, copy=False)
    next_attempt_at = fields.Datetime(
        "Next Attempt",
        default=fields.Datetime.now,
        copy=False,
        help="Not called before this time.",
    )
    sticky_user_id = fields.Many2one(
        "res.users",
        string="Sticky Agent",
        help="Call-backs go to this agent first (the customer's agent).",
    )
    user_id = fields.Many2one(
        "res.users", string="Agent", readonly=True, copy=False, index="btree_not_null"
    )
    last_call_id = fields.Many2one("crm.callcenter.call", readonly=True, copy=False)
    call_ids = fields.One2many("crm.callcenter.call", "telesales_target_id")
    result = fields.Selection(RESULTS, tracking=True, copy=False)
    result_note = fields.Text(copy=False)
    disposition_id = fields.Many2one("crm.callcenter.disposition", copy=False)
    reject_reason = fields.Char(copy=False)
    dialing_since = fields.Datetime(
        "Handed Out At",
        readonly=True,
        copy=False,
        help="When the dialer handed the target to an agent or a line; it goes "
        "back to the queue when its call never reports back.",
    )

    _external_ref_uniq = models.Constraint(
        "UNIQUE(campaign_id, external_ref)",
        "A target with this external reference already exists in the campaign.",
    )
    _due_idx = models.Index(
        "(campaign_id, priority DESC, next_attempt_at) "
        "WHERE state IN ('pending', 'scheduled', 'rescheduled')"
    )

    @api.model
    def _open_states(self):
        return OPEN_STATES

    @api.depends("partner_id.name", "lead_id.name", "phone", "payload")
    def _compute_name(self):
        for target in self:
            payload = target.payload if isinstance(target.payload, dict) else {}
            target.name = (
                target.partner_id.name
                or target.lead_id.partner_name
                or target.lead_id.contact_name
                or target.lead_id.name
                or payload.get("name")
                or target.phone
            )

    @api.depends("partner_id.tz", "phone")
    def _compute_tz(self):
        for target in self:
            target.tz = target.partner_id.tz or self._tz_from_number(target.phone)

    @api.model
    def _tz_from_number(self, number):
        try:
            parsed = phonenumbers.parse(number or "", None)
        except phonenumbers.NumberParseException:
            return False
        zones = [
            zone
            for zone in phone_timezone.time_zones_for_number(parsed)
            if zone != phone_timezone.UNKNOWN_TIMEZONE
        ]
        if not zones:
            return False
        # A number of a country spanning several zones (Russian mobiles
        # list eleven, Kazakhstan's among them) says nothing of where its
        # owner lives: no guess, the dialer then reads the calling windows in
        # the company's time zone (set the contact's for better).
        now = datetime.utcnow()
        offsets = {pytz.timezone(zone).utcoffset(now) for zone in zones}
        return zones[0] if len(offsets) == 1 else False

    @api.depends("payload")
    def _compute_payload_html(self):
        for target in self:
            data = target.payload if isinstance(target.payload, dict) else {}
            rows = "".join(
                f"<tr><th>{html_escape(str(key))}</th>"
                f"<td>{html_escape(str(value))}</td></tr>"
                for key, value in data.items()
            )
            target.payload_html = (
                f'<table class="table table-sm o_crm_telesales_payload">{rows}</table>'
                if rows
                else False
            )

    @api.model_create_multi
    def create(self, vals_list):
        campaigns = self.env["crm.telesales.campaign"].browse(
            {vals["campaign_id"] for vals in vals_list if vals.get("campaign_id")}
        )
        countries = {c.id: c.provider_id.default_country_id.code for c in campaigns}
        for vals in vals_list:
            if vals.get("phone"):
                vals["phone"] = normalize_number(
                    vals["phone"], countries.get(vals.get("campaign_id"))
                )
        targets = super().create(vals_list)
        targets._mark_blacklisted()
        return targets

    def write(self, vals):
        if vals.get("state") == "dialing" and "result" not in vals:
            # A new attempt: a result given from now on (script, wrap-up)
            # is this call's, not a leftover of an earlier attempt.
            vals = {**vals, "result": False}
        if vals.get("phone"):
            country = self.campaign_id[:1].provider_id.default_country_id.code
            vals["phone"] = normalize_number(vals["phone"], country)
        res = super().write(vals)
        if "phone" in vals:
            self._mark_blacklisted()
        return res

    # ------------------------------------------------------------------
    # Business
    # ------------------------------------------------------------------

    def _mark_blacklisted(self):
        """Numbers on the phone blacklist are never dialed."""
        numbers = [t.phone for t in self if t.phone]
        if not numbers:
            return
        blacklisted = set(
            self.env["phone.blacklist"]
            .sudo()
            .search([("number", "in", numbers)])
            .mapped("number")
        )
        self.filtered(
            lambda t: t.phone in blacklisted and t.state in OPEN_STATES
        ).write({"state": "do_not_call"})

    def _register_call_outcome(self, call):
        """A call of this target ended: count the attempt, plan what's next.

        Answered calls end the target unless the agent's wrap-up already
        decided otherwise (a call-back, a rejection); unanswered ones are
        retried after the campaign's delay for that outcome, until the
        campaign's maximum attempts.
        """
        self.ensure_one()
        vals = {"attempts": self.attempts + 1, "last_call_id": call.id}
        if call.user_id:
            vals["user_id"] = call.user_id.id
        vals["dialing_since"] = False
        if call.outcome == "answered" and not call.user_id:
            # Predictive: the customer answered and no agent was free.
            vals["result"] = "abandoned"
            if self.state in ("dialing", "in_call"):
                vals.update(self._retry_vals(vals["attempts"], "abandoned"))
        elif call.outcome == "answered":
            # A wrap-up given before the call's end (call-back, rejection)
            # already moved the target on; otherwise the customer was reached.
            if self.state in ("dialing", "in_call"):
                vals["state"] = "done"
                # Given during this call (script answer), else reached.
                vals["result"] = self.result or "reached"
            elif not self.result:
                vals["result"] = "reached"
        else:
            result = RETRY_RESULTS.get(call.outcome, "failed")
            vals["result"] = result
            if self.state in ("dialing", "in_call"):
                vals.update(self._retry_vals(vals["attempts"], result))
        self.write(vals)
        self._notify_workspace()
        self.env["crm.telesales.dialer"]._trigger()

    def _retry_vals(self, attempts, result):
        """Another attempt after the campaign's delay for ``result``, or
        failed once the campaign's attempts are spent."""
        self.ensure_one()
        campaign = self.campaign_id
        if attempts >= campaign.max_attempts:
            return {"state": "failed"}
        return {
            "state": "scheduled",
            "next_attempt_at": fields.Datetime.now()
            + timedelta(minutes=campaign._retry_minutes(result)),
        }

    # ------------------------------------------------------------------
    # Agent workspace ("Next call")
    # ------------------------------------------------------------------

    @api.model
    def telesales_next(self):
        """The agent's current target, else the next one of their running
        preview campaigns: what the workspace shows."""
        user = self.env.user
        if not user.has_group("crm_callcenter.crm_callcenter_group_agent"):
            raise AccessError(
                self.env._("Only call center agents take telesales calls.")
            )
        target = self._current_target()
        if not target:
            dialer = self.env["crm.telesales.dialer"]
            target = dialer._pick_for_agent(user, ("preview",)).with_env(self.env)
        return self._workspace_payload(target)

    @api.model
    def telesales_current(self):
        """What the workspace shows on load: the agent's current target."""
        return self._workspace_payload(self._current_target())

    @api.model
    def _current_target(self):
        campaigns = self.env["crm.telesales.dialer"]._agent_campaigns(self.env.user)
        # A call answered a moment ago still waits for the agent's wrap-up.
        recent = fields.Datetime.now() - timedelta(hours=WRAP_UP_HOURS)
        return self.search(
            [
                ("user_id", "=", self.env.user.id),
                ("campaign_id", "in", campaigns.ids),
                "|",
                ("state", "in", ("dialing", "in_call")),
                "&",
                ("state", "=", "done"),
                (
                    "last_call_id",
                    "any",
                    [
                        ("outcome", "=", "answered"),
                        ("logged_at", "=", False),
                        ("ended_at", ">=", recent),
                    ],
                ),
            ],
            order="dialing_since desc, id desc",
            limit=1,
        )

    @api.model
    def _workspace_payload(self, target):
        campaigns = self.env["crm.telesales.dialer"]._agent_campaigns(self.env.user)
        return {
            "target": target._workspace_data() if target else False,
            "campaigns": [
                {"id": c.id, "name": c.name, "mode": c.mode} for c in campaigns
            ],
        }

    def _workspace_data(self):
        """Everything the agent sees about the target before and during the
        call: the source system's data, the customer, the history."""
        self.ensure_one()
        # The agent may read the target; its customer's lead may be another
        # salesperson's, and the calls are the provider's: display values only.
        target = self.sudo()
        campaign = target.campaign_id
        partner = target.partner_id or target.lead_id.partner_id
        payload = target.payload if isinstance(target.payload, dict) else {}
        Call = self.env["crm.callcenter.call"].sudo()
        call_domain = [("telesales_target_id", "=", target.id)]
        if partner:
            call_domain = ["|", ("partner_id", "=", partner.id), *call_domain]
        calls = Call.search(call_domain, limit=10)
        dispositions = campaign.disposition_ids or self.env[
            "crm.callcenter.disposition"
        ].search([("company_id", "in", [False, campaign.company_id.id])])
        last_call = target.last_call_id
        return {
            "id": target.id,
            "name": target.name or "",
            "phone": target.phone,
            "state": target.state,
            "state_label": dict(self._fields["state"]._description_selection(self.env))[
                target.state
            ],
            "campaign": {
                "id": campaign.id,
                "name": campaign.name,
                "mode": campaign.mode,
            },
            "attempts": target.attempts,
            "max_attempts": campaign.max_attempts,
            "priority": target.priority,
            "is_callback": bool(target.sticky_user_id == self.env.user),
            "payload": [[str(key), str(value)] for key, value in payload.items()],
            "partner": partner
            and {
                "id": partner.id,
                "name": partner.display_name,
                "email": partner.email or "",
                "phone": partner.phone or "",
                "city": partner.city or "",
                "country": partner.country_id.name or "",
            },
            "lead": target.lead_id
            and {
                "id": target.lead_id.id,
                "name": target.lead_id.display_name,
                "stage": target.lead_id.stage_id.name or "",
            },
            "history": [
                {
                    "id": call.id,
                    "started_at": fields.Datetime.to_string(call.started_at) or "",
                    "direction": call.direction,
                    "outcome": call.outcome or call.state,
                    "billsec": call.billsec,
                    "agent": call.user_id.name or "",
                    "disposition": call.disposition_id.name or "",
                    "note": call.note or "",
                }
                for call in calls
            ],
            "last_call": last_call
            and {
                "id": last_call.id,
                "state": last_call.state,
                "outcome": last_call.outcome or False,
                "logged": bool(last_call.logged_at),
            },
            "dispositions": [{"id": d.id, "name": d.name} for d in dispositions],
            "can_preview": target.state == "dialing" and not last_call_is_live(target),
        }

    def action_call(self):
        """Call button of the target form: the customer's number, from the
        agent's extension, the call linked to the target."""
        self.ensure_one()
        self.check_access("write")
        if self.state == "do_not_call":
            raise UserError(
                self.env._(
                    "%(number)s is on the blacklist: it is never called.",
                    number=self.phone,
                )
            )
        return self.env["crm.callcenter.call"]._click_to_call_client_action(
            self.phone, self._name, self.id
        )

    def _check_held_by_agent(self):
        """The agent acts on the target the dialer gave them."""
        self.ensure_one()
        self.check_access("write")
        if self.user_id != self.env.user or self.state not in ("dialing", "in_call"):
            raise UserError(
                self.env._("%(name)s is not your current call.", name=self.name)
            )

    def action_telesales_reject(self, reason):
        """Preview: the agent will not call this target, and says why."""
        self._check_held_by_agent()
        if not (reason or "").strip():
            raise UserError(self.env._("Give the reason for rejecting the call."))
        if last_call_is_live(self):
            raise UserError(self.env._("The call is in progress: wrap it up instead."))
        self.write(
            {
                "state": "rejected",
                "reject_reason": reason.strip(),
                "dialing_since": False,
            }
        )
        return True

    def action_telesales_reschedule(self, when):
        """Preview: call again at the agent's time, by the agent."""
        self._check_held_by_agent()
        if last_call_is_live(self):
            raise UserError(self.env._("The call is in progress: wrap it up instead."))
        self._reschedule(when)
        return True

    def _reschedule(self, when):
        when = fields.Datetime.to_datetime(when)
        if not when or when <= fields.Datetime.now():
            raise UserError(self.env._("Choose a date and time in the future."))
        self.write(
            {
                "state": "rescheduled",
                "next_attempt_at": when,
                "sticky_user_id": self.env.user.id,
                "dialing_since": False,
            }
        )

    def action_telesales_wrap_up(self, disposition_id, note=False, callback_at=False):
        """Log the call with a disposition from the campaign's list; a
        call-back time reschedules the target with the agent."""
        self.ensure_one()
        self.check_access("write")
        call = self.sudo().last_call_id
        if self.user_id != self.env.user or not call:
            raise UserError(
                self.env._("%(name)s is not your current call.", name=self.name)
            )
        campaign = self.sudo().campaign_id
        disposition = self.env["crm.callcenter.disposition"].browse(disposition_id)
        allowed = campaign.disposition_ids
        if not disposition.exists() or (allowed and disposition not in allowed):
            raise UserError(
                self.env._(
                    "Choose one of the dispositions of campaign %(campaign)s.",
                    campaign=campaign.name,
                )
            )
        call.with_env(self.env)._log(disposition, note)
        vals = {"disposition_id": disposition.id, "result_note": note or False}
        if callback_at:
            self._reschedule(callback_at)
            vals["result"] = "callback"
        elif self.state in ("dialing", "in_call", "done"):
            vals["state"] = "done"
            vals["dialing_since"] = False
            if disposition.is_success:
                vals["result"] = "success"
            elif call.outcome == "answered" or self.state == "in_call":
                vals["result"] = "reached"
        self.write(vals)
        self.env["crm.telesales.dialer"]._trigger()
        return True

    def _register_dial_failure(self):
        """The center refused to place the call: a failed attempt."""
        self.ensure_one()
        attempts = self.attempts + 1
        self.write(
            {
                "attempts": attempts,
                "result": "failed",
                "user_id": False,
                "dialing_since": False,
                **self._retry_vals(attempts, "failed"),
            }
        )

    def _notify_workspace(self):
        """Refresh the agent's workspace when their target changes."""
        for target in self.filtered("user_id"):
            target.user_id._bus_send(
                "crm_telesales/target", {"target_id": target.id, "state": target.state}
            )


def last_call_is_live(target):
    call = target.sudo().last_call_id
    return bool(call) and call.state != "ended"
