from datetime import timedelta

import phonenumbers
from phonenumbers import timezone as phone_timezone

from odoo import api, fields, models
from odoo.addons.crm_callcenter.tools.phone import normalize_number
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
        # Several zones (Russia, Türkiye's neighbours): the first is the one
        # of the number's region, as good a guess as there is.
        return zones[0] if zones else False

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
        campaign = self.campaign_id
        vals = {"attempts": self.attempts + 1, "last_call_id": call.id}
        if call.user_id:
            vals["user_id"] = call.user_id.id
        if call.outcome == "answered":
            # A wrap-up given before the call's end (call-back, rejection)
            # already moved the target on; otherwise the customer was reached.
            if self.state in ("dialing", "in_call"):
                vals["state"] = "done"
            if not self.result:
                vals["result"] = "reached"
        else:
            result = RETRY_RESULTS.get(call.outcome, "failed")
            vals["result"] = result
            if vals["attempts"] >= campaign.max_attempts:
                vals["state"] = "failed"
            else:
                vals["state"] = "scheduled"
                vals["next_attempt_at"] = fields.Datetime.now() + timedelta(
                    minutes=campaign._retry_minutes(result)
                )
        self.write(vals)
