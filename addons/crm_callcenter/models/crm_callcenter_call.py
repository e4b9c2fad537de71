import logging
import random
import re
import time
import uuid
from datetime import datetime, timedelta

import pytz
import requests
from markupsafe import Markup
from psycopg2 import errors as pg_errors

from odoo import Command, api, fields, models
from odoo.addons.phone_validation.models.mail_thread_phone import PHONE_REGEX_PATTERN
from odoo.exceptions import AccessError, UserError
from odoo.fields import Domain
from odoo.tools import SQL, format_datetime, plaintext2html

from ..tools.call_event import (
    DISSATISFIED_SCORE,
    OUTCOMES,
    STATE_RANK,
    seconds_between,
)
from ..tools.phone import is_hidden_number, normalize_number
from ..tools.providers import (
    ADAPTERS,
    OriginateError,
    OriginateResult,
    RecordingError,
)
from .crm_callcenter_event import CONCURRENCY_ERRORS

_logger = logging.getLogger(__name__)

OUTCOME_SELECTION = [
    ("answered", "Answered"),
    ("missed", "Missed"),
    ("busy", "Busy"),
    ("no_answer", "No Answer"),
    ("cancelled", "Cancelled"),
    ("failed", "Failed"),
    ("voicemail", "Voicemail"),
]
assert tuple(key for key, _label in OUTCOME_SELECTION) == OUTCOMES

# Values an event simply overrides when it carries them.
DETAIL_FIELDS = (
    "hangup_cause",
    "recording_url",
    "recording_id",
    "queue",
    "campaign_ref",
    "did",
    "caller_name",
    "satisfaction",
)
MATCH_LIMIT = 20
# Rows of one number a lookup ranks in Python; more are ranked in SQL.
MATCH_SCAN = 200
# The lookup's queries (the exact number, else the raw numbers), kept in the
# database as a PL/pgSQL function (written by ``init``, dropped by the
# uninstall hook): PostgreSQL caches a function's plans for the session,
# where the same queries sent as text are planned again at every lookup, and
# planning over two tables of thirty indexes each costs more than running
# them (see bench/phone_lookup.py).
# ``_write_match_function`` drops and creates it again when its text changes.
MATCH_FUNCTION = "crm_callcenter_match_number"
# Agent fields the fold reads (screen pop, presence).
AGENT_FIELDS = [
    "partner_id",
    "sale_team_id",
    "callcenter_auto_open",
    "callcenter_presence",
    "callcenter_away_reason_id",
    "callcenter_presence_since",
    "callcenter_wrapup_until",
]
# What the display names of the screen pop's records read.
DISPLAY_NAME_FIELDS = {
    "crm.lead": ["name"],
    "res.partner": [
        "name",
        "parent_id",
        "company_name",
        "type",
        "is_company",
        "commercial_company_name",
    ],
}
# Missed calls given their call-back per cron transaction.
MISSED_BATCH = 50
# Calls closed for lack of news per cron transaction.
SILENT_BATCH = 50
LIVE_CALL_HOURS = 4
AGENT_GROUP = "crm_callcenter.crm_callcenter_group_agent"
MANAGER_GROUP = "crm_callcenter.crm_callcenter_group_manager"
# External id of a call placed from Odoo until the provider names it.
PLACEHOLDER_PREFIX = "odoo-c2c-"
# Short transactions of click-to-call retried when a provider event of the
# same call holds the row.
NEW_TRANSACTION_ATTEMPTS = 5
# How long a call placed from Odoo waits for the provider's first event.
CORRELATION_HOURS = 1


class CrmCallcenterCall(models.Model):
    _name = "crm.callcenter.call"
    _description = "Call"
    _order = "started_at desc, id desc"

    provider_id = fields.Many2one(
        "crm.callcenter.provider", required=True, readonly=True, ondelete="restrict"
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    external_call_id = fields.Char("Call ID", required=True, readonly=True)
    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound")],
        required=True,
        readonly=True,
    )
    state = fields.Selection(
        [("ringing", "Ringing"), ("answered", "In Progress"), ("ended", "Ended")],
        required=True,
        default="ringing",
        readonly=True,
    )
    outcome = fields.Selection(OUTCOME_SELECTION, readonly=True)
    outcome_reported = fields.Selection(
        OUTCOME_SELECTION,
        readonly=True,
        help="Outcome as the provider reported it, when it did.",
    )
    from_number = fields.Char("From", readonly=True)
    to_number = fields.Char("To", readonly=True)
    did = fields.Char("DID", readonly=True, help="Line the call came in on.")
    extension = fields.Char(readonly=True, help="Agent extension the provider sent.")
    user_id = fields.Many2one("res.users", "Agent", readonly=True, index=True)
    ringing_user_ids = fields.Many2many(
        "res.users",
        "crm_callcenter_call_ringing_user_rel",
        "call_id",
        "user_id",
        string="Also Rang For",
        readonly=True,
        help="Other agents whose extension rang for this call (a ring group "
        "or a queue ringing several agents at once): each got the call card "
        "while it rang, and may see the call.",
    )
    # A column the fold loads with the row: only calls that rang for others
    # read the relation when they stop ringing.
    rang_several = fields.Boolean(
        readonly=True, help="Technical: the call rang for other agents too."
    )
    vip = fields.Boolean(
        "VIP",
        compute="_compute_vip",
        search="_search_vip",
        help="The caller's contact, or the contact's company, has one of the "
        "company's VIP tags (Settings, Call Center).",
    )
    out_of_hours = fields.Boolean(
        "Out of Hours",
        readonly=True,
        help="An inbound call that started outside the opening hours of its "
        "line (or provider): not in the answer rate, abandonment rate and "
        "service level; the call-back of a missed one is due on the next "
        "opening day.",
    )
    transferred_from_user_ids = fields.Many2many(
        "res.users",
        "crm_callcenter_call_transferred_user_rel",
        "call_id",
        "user_id",
        string="Transferred From",
        readonly=True,
        help="Agents who answered this call before the agent who has it now "
        "and passed it on (a transfer): they still see the call and may log "
        "their part of it.",
    )
    transfer_count = fields.Integer(
        "Transfers",
        readonly=True,
        default=0,
        help="How many times the call, once answered, was answered again on "
        "another extension (a blind or attended transfer).",
    )
    # When the agent who has the call now answered it: an answer for another
    # extension later than this is a transfer to them; an earlier one, heard
    # late, is an agent who passed the call on.
    agent_answered_at = fields.Datetime(
        readonly=True, help="Technical: when the current agent answered the call."
    )
    partner_id = fields.Many2one(
        "res.partner", "Contact", index="btree_not_null", ondelete="set null"
    )
    lead_id = fields.Many2one(
        "crm.lead", "Lead/Opportunity", index="btree_not_null", ondelete="set null"
    )
    candidate_lead_ids = fields.Many2many(
        "crm.lead",
        "crm_callcenter_call_candidate_lead_rel",
        string="Other Matching Leads",
        readonly=True,
        help="Other leads with the caller's number, for the agent to choose from.",
    )
    candidate_partner_ids = fields.Many2many(
        "res.partner",
        "crm_callcenter_call_candidate_partner_rel",
        string="Other Matching Contacts",
        readonly=True,
        help="Other contacts with the caller's number, for the agent to choose from.",
    )
    # Read with the call by every event: the screen pop reads the candidate
    # relations only when there are some (most calls have none).
    candidate_count = fields.Integer(
        compute="_compute_candidate_count", store=True, export_string_translation=False
    )
    started_at = fields.Datetime(readonly=True, index=True)
    answered_at = fields.Datetime(readonly=True)
    ended_at = fields.Datetime(readonly=True)
    duration = fields.Integer("Duration (s)", readonly=True)
    billsec = fields.Integer("Talk Time (s)", readonly=True)
    timing_reported = fields.Boolean(
        readonly=True,
        help="Technical: the provider sent durations, so they are not derived "
        "from the call's times.",
    )
    end_inferred = fields.Boolean(
        "End Not Reported",
        readonly=True,
        help="The center never reported the end of this call: it was closed "
        "after the provider's time without news, at its last event. A late "
        "report of the center replaces what was inferred.",
    )
    hangup_cause = fields.Char(readonly=True)
    recording_url = fields.Char(readonly=True)
    recording_id = fields.Char("Recording Reference", readonly=True)
    has_recording = fields.Boolean(
        "Recording",
        compute="_compute_has_recording",
        help="The center recorded this call: it can be listened to here.",
    )
    caller_name = fields.Char(readonly=True, help="Caller name the PBX sent.")
    correlation_id = fields.Char(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Id given to the provider when the call was placed from Odoo; "
        "the provider's events are matched to the call by it.",
    )
    billsec_reported = fields.Boolean(
        readonly=True, help="Technical: the provider reported the talk time."
    )
    queue = fields.Char(readonly=True)
    campaign_ref = fields.Char("Campaign Reference", readonly=True)
    event_ids = fields.One2many("crm.callcenter.event", "call_id", readonly=True)
    customer_number = fields.Char(
        readonly=True,
        index="btree_not_null",
        help="The customer's number: the caller of an inbound call, the called "
        "number of an outbound one.",
    )
    number_hidden = fields.Boolean(
        "Hidden Number",
        readonly=True,
        help="The caller withheld the number (the center sent 'anonymous', "
        "'restricted' or the like): the call cannot be matched with a "
        "customer nor called back.",
    )
    did_id = fields.Many2one(
        "crm.callcenter.did", "Line", readonly=True, ondelete="set null"
    )
    team_id = fields.Many2one(
        "crm.team", "Sales Team", readonly=True, index="btree_not_null"
    )
    answer_seconds = fields.Integer(
        "Speed of Answer (s)",
        readonly=True,
        aggregator="avg",
        help="Seconds from the first ring to the agent's answer.",
    )
    is_missed = fields.Boolean(
        "Missed",
        readonly=True,
        help="Inbound call that ended without an agent answering "
        "(including calls only an IVR answered).",
    )
    is_abandoned = fields.Boolean(
        "Abandoned",
        readonly=True,
        help="Missed call the caller hung up on before an agent answered.",
    )
    callback_state = fields.Selection(
        [("pending", "To Call Back"), ("done", "Called Back")],
        readonly=True,
        index="btree_not_null",
    )
    callback_id = fields.Many2one(
        "crm.callcenter.callback",
        "Call-back",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    callback_activity_id = fields.Many2one(
        related="callback_id.activity_id", string="Call-back Activity"
    )
    callback_queued = fields.Boolean(
        "Call-back Queued",
        readonly=True,
        copy=False,
        help="Technical: missed call waiting for the cron to give it a call-back.",
    )
    called_back_at = fields.Datetime(readonly=True)
    callback_call_id = fields.Many2one(
        "crm.callcenter.call", "Call-back Call", readonly=True, ondelete="set null"
    )
    disposition_id = fields.Many2one(
        "crm.callcenter.disposition", readonly=True, ondelete="restrict"
    )
    note = fields.Text("Call Notes", readonly=True)
    cost = fields.Float(
        readonly=True,
        digits=(16, 4),
        help="What the call cost, in its currency: as the provider reported "
        "it, else the provider's per-minute rate on the talk time. Not rounded "
        "to the currency: calls often cost fractions of a cent.",
    )
    cost_currency_id = fields.Many2one("res.currency", readonly=True)
    cost_reported = fields.Boolean(
        readonly=True, help="Technical: the provider reported the cost."
    )
    logged_at = fields.Datetime(readonly=True)
    logged_by_id = fields.Many2one("res.users", readonly=True)
    satisfaction = fields.Integer(
        readonly=True,
        aggregator="avg",
        help="The caller's score in the contact center's post-call survey, "
        "from 1 (very dissatisfied) to 5 (very satisfied), as the center "
        "reported it. 4 and 5 count as satisfied.",
    )
    satisfaction_activity_id = fields.Many2one(
        "mail.activity",
        "Satisfaction Follow-up",
        readonly=True,
        ondelete="set null",
        help="The call scheduled for a team leader when the caller scored the "
        "call 1 or 2 (see Settings, Follow Up Dissatisfied Callers).",
    )
    satisfaction_followed_up = fields.Boolean(
        readonly=True,
        help="Technical: a follow-up was scheduled for this call's score (once "
        "per call).",
    )

    _external_call_id_unique = models.Constraint(
        "UNIQUE(provider_id, external_call_id)",
        "A call can be recorded only once per provider.",
    )
    _callback_queued_idx = models.Index("(id) WHERE callback_queued")
    # The agent's other calls in progress, asked at the end of each call.
    _user_answered_idx = models.Index("(user_id) WHERE state = 'answered'")
    # Calls not ended yet (few), for the sweep of calls whose end was lost.
    _open_idx = models.Index("(provider_id) WHERE state != 'ended'")
    # The provider's "ends lost" health figure.
    _end_inferred_idx = models.Index("(provider_id, create_date) WHERE end_inferred")

    @api.depends("direction", "from_number", "to_number", "partner_id", "lead_id")
    @api.depends("candidate_lead_ids", "candidate_partner_ids")
    def _compute_candidate_count(self):
        for call in self:
            call.candidate_count = len(call.candidate_lead_ids) + len(
                call.candidate_partner_ids
            )

    @api.depends("provider_id.code", "recording_url", "recording_id")
    def _compute_has_recording(self):
        for call in self:
            adapter = ADAPTERS.get(call.provider_id.code)
            call.has_recording = bool(adapter) and adapter().has_recording(
                call.recording_url, call.recording_id
            )

    def action_open_recording(self):
        """Play the recording in a new tab (from the call list)."""
        self.ensure_one()
        if not self.has_recording:
            raise UserError(self.env._("This call has no recording."))
        return {
            "type": "ir.actions.act_url",
            "url": f"/callcenter/call/{self.id}/recording",
            "target": "new",
        }

    def _recording_source(self):
        """Where to download this call's recording from (asked of its
        provider when a user plays it); raises RecordingError."""
        self.ensure_one()
        provider = self.provider_id.sudo()
        adapter = provider._get_adapter()
        if not adapter.has_recording(self.recording_url, self.recording_id):
            raise RecordingError(self.env._("This call has no recording."))
        return adapter.recording_source(
            provider._get_adapter_config(), self.recording_url, self.recording_id
        )

    def _compute_display_name(self):
        for call in self:
            number = call._customer_label()
            # Whoever may read the call may see the name of its customer, even
            # when the lead itself is another salesperson's.
            who = (
                call.lead_id.sudo().display_name or call.partner_id.sudo().display_name
            )
            arrow = "←" if call.direction == "inbound" else "→"
            call.display_name = (
                f"{arrow} {who} ({number})" if who else f"{arrow} {number}"
            )

    def _counterpart_number(self):
        """The customer's number: the caller inbound, the called outbound
        (none when the caller hid it)."""
        self.ensure_one()
        if self.number_hidden:
            return ""
        return self.from_number if self.direction == "inbound" else self.to_number

    # ------------------------------------------------------------------
    # Folding events into calls
    # ------------------------------------------------------------------

    @api.model
    def _apply_event(self, provider, event, fallback_time=None):
        """Fold one CallEvent into its call and return the call.

        Idempotent and order-tolerant: the state only moves forward, start and
        answer times keep the earliest value, the end time the latest, and
        details (durations, recording, cause) fill in whenever they come.
        """
        country = provider.default_country_code
        prefix = provider.dialout_prefix
        from_number = normalize_number(event.from_number, country, prefix)
        to_number = normalize_number(event.to_number, country, prefix)
        call = self._lock_or_create(provider, event, from_number, to_number)
        before = call._fold_snapshot()
        vals = self._prepare_fold_vals(
            call, provider, event, from_number, to_number, fallback_time
        )
        if vals:
            call.write(vals)
            if "ringing_user_ids" in vals:
                before["rung"] = self.env["res.users"].browse(
                    command[1]
                    for command in vals["ringing_user_ids"]
                    if command[0] == Command.LINK
                )
        if call.number_hidden and not before["number_hidden"]:
            # A hidden caller: the line and team only.
            call.write(call._prepare_line_vals(provider))
        elif call.customer_number != before["customer_number"]:
            # First time we know the customer's number: match it once, not
            # on every later event of the call.
            call.write(call._prepare_line_vals(provider))
            if not call.partner_id and not call.lead_id:
                match_vals = call._match_counterpart()
                if match_vals:
                    call.write(match_vals)
            if (
                provider.create_lead_unknown
                and call.direction == "inbound"
                and not call.partner_id
                and not call.lead_id
            ):
                call.write({"lead_id": call._create_lead_for_caller(provider).id})
        call._after_fold(provider, before)
        return call

    def _customer_label(self):
        """The customer's number as people read it ("Hidden number" too)."""
        self.ensure_one()
        if self.number_hidden:
            return self.env._("Hidden number")
        return self.customer_number or self._counterpart_number() or ""

    def _fold_snapshot(self):
        self.ensure_one()
        return {
            "state": self.state,
            "answered": self._is_answered(),
            "user": self.user_id,
            "customer_number": self.customer_number,
            "number_hidden": self.number_hidden,
            "lead": self.lead_id,
            "partner": self.partner_id,
            "satisfaction": self.satisfaction,
        }

    def _is_answered(self):
        self.ensure_one()
        return self.state == "answered" or self.outcome == "answered"

    def _after_fold(self, provider, before):
        """What a call's change means for agents and customers."""
        self.ensure_one()
        user, old_user = self.user_id, before["user"]
        # Screen pop: only when something the agent sees has changed.
        changed = (
            self.state != before["state"]
            or user != old_user
            or self.lead_id != before["lead"]
            or self.partner_id != before["partner"]
        )
        if changed and user:
            # What follows reads of the agent (presence, screen pop), in a
            # narrow query: the default prefetch loads the whole user row.
            user.fetch(AGENT_FIELDS)
        answered = self._is_answered()
        if answered and self.customer_number and not before["answered"]:
            self.env["crm.callcenter.callback"].sudo()._close_for_call(self)
        # Presence follows the agent's calls.
        if (
            self.state == "answered"
            and user
            and (before["state"] != "answered" or user != old_user)
        ):
            user._callcenter_call_started()
        if old_user and old_user != user and before["state"] == "answered":
            old_user._callcenter_call_ended(provider.wrapup_seconds)
        if self.state == "ended" and before["state"] != "ended":
            if user and self.outcome == "answered":
                user._callcenter_call_ended(provider.wrapup_seconds)
            if self.is_missed and self.customer_number:
                self._queue_missed()
        if (
            self.satisfaction
            and self.satisfaction <= DISSATISFIED_SCORE
            and self.satisfaction != before["satisfaction"]
            and not self.satisfaction_followed_up
            and self.company_id.callcenter_followup_dissatisfied
        ):
            self._schedule_satisfaction_followup()
        if changed:
            if user:
                self._notify_agent(user)
            if old_user and old_user != user:
                self._notify_agent(old_user, closed=True)
        # The other agents it rings for: their card while it rings, closed
        # once someone answered or the caller hung up.
        if self.state == "ringing":
            for rung in before.get("rung", ()):
                self._notify_agent(rung)
        elif before["state"] == "ringing" and self.rang_several:
            for rung in self.ringing_user_ids - user - old_user:
                self._notify_agent(rung, closed=True)

    def _schedule_satisfaction_followup(self):
        """A call back, due today, for the caller who scored this call 1 or
        2: on their lead (else contact), for the leader of the call's sales
        team, else the record's salesperson, else the call's agent. Once per
        call. Without a record or anyone to give it to, nothing."""
        self.ensure_one()
        record = (self.lead_id or self.partner_id).sudo()
        user = self.team_id.user_id or record.user_id or self.user_id
        if not record or not user:
            return
        date = format_datetime(
            self.env,
            self.started_at,
            tz=user.tz or "UTC",
            dt_format="short",
            lang_code=user.lang,
        )
        activity = record.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=fields.Date.context_today(self),
            summary=self.env._(
                "Dissatisfied caller: %(score)s/5", score=self.satisfaction
            ),
            note=Markup("<p>%s</p>")
            % self.env._(
                "Scored the call of %(date)s with %(agent)s %(score)s/5 in the "
                "post-call survey.",
                date=date,
                agent=self.user_id.name or self.env._("nobody"),
                score=self.satisfaction,
            ),
            user_id=user.id,
        )
        self.write(
            {"satisfaction_activity_id": activity.id, "satisfaction_followed_up": True}
        )

    def _queue_missed(self):
        """Hand missed calls to the call-back cron, woken when this commits.

        Their call-back (a lead for an unknown number, the activity, the
        missed-call messages) is the heaviest part of a call event: done in
        the webhook request it made every missed call's ending event cost
        three times a ringing one.
        """
        self.write({"callback_queued": True})
        self.env["crm.callcenter.event"]._trigger_cron(
            "crm_callcenter.ir_cron_crm_callcenter_missed", once=True
        )

    @api.model
    def _cron_register_missed(self):
        """Give queued missed calls their call-back, oldest first.

        Each call is taken with SKIP LOCKED (two cron runs never register one
        twice) in a savepoint: a call that fails stays queued for the next
        run, logged, without holding back the others. A batch that loses to
        a concurrent transaction (the answer of the same customer) is run
        again.
        """
        self.env["ir.cron"]._callcenter_retrying(self._register_queued_missed)

    @api.model
    def _register_queued_missed(self):
        cr = self.env.cr
        failed = []
        while True:
            cr.execute(
                SQL(
                    "SELECT id FROM crm_callcenter_call WHERE callback_queued"
                    " AND id != ALL(%s) ORDER BY id LIMIT %s"
                    " FOR NO KEY UPDATE SKIP LOCKED",
                    failed,
                    MISSED_BATCH,
                )
            )
            calls = self.sudo().browse([row[0] for row in cr.fetchall()])
            if not calls:
                return
            for call in calls:
                try:
                    with cr.savepoint():
                        call._register_missed()
                        call.callback_queued = False
                except CONCURRENCY_ERRORS:
                    raise
                except Exception:
                    _logger.exception(
                        "Call-back of missed call %s failed; it stays queued", call.id
                    )
                    failed.append(call.id)
            if not self.env["ir.cron"]._commit_progress(len(calls)):
                return

    @api.model
    def _cron_close_silent_calls(self):
        """Close the calls whose end the center never reported."""
        self.env["ir.cron"]._callcenter_retrying(self._close_silent_calls)

    @api.model
    def _close_silent_calls(self, now=None):
        """Close calls without news for longer than their provider allows.

        A center loses an event now and then (its retries ran out, the
        listener was down when the call ended). Without its end, a call
        stays ringing or in progress for ever: its agent stays in call (the
        dialer passes them by, and each next call leaves them busy), a
        missed caller gets no call-back, the reports count a call that
        neither was answered nor missed. Such a call is closed at its last
        news, as if the center had ended it then: not answered when it was
        still ringing (a missed inbound call gets its call-back), answered
        with the talk time known so far when it was in progress, and its
        agent moves on. ``end_inferred`` marks it, and the center's late
        report replaces what was inferred (``_prepare_fold_vals``).

        "News" is the last event received for the call (the call's creation
        for a call placed from Odoo the center never reported). Calls are
        taken with SKIP LOCKED: an event folding into one meanwhile keeps
        it, and its new row version makes this transaction retry.
        """
        now = now or fields.Datetime.now()
        minutes = SQL(
            "CASE WHEN c.state = 'ringing' THEN p.ringing_timeout_minutes"
            " ELSE p.live_timeout_minutes END"
        )
        return self._close_open_calls(
            SQL(
                "%(minutes)s > 0 AND GREATEST(c.create_date, news.last_received)"
                " < %(now)s - make_interval(mins => %(minutes)s)",
                minutes=minutes,
                now=now,
            ),
            now,
        )

    @api.model
    def _close_calls_not_live(self, provider, live_ids, before):
        """Close the provider's open calls that the center no longer has.

        Asked when its event stream (re)connects: the center lists the
        calls in progress (``live_ids``, their external ids); an open call
        heard of before ``before`` and not among them ended while nobody
        listened. Closed as the sweep closes calls, at their last news,
        without waiting for the provider's time without news. A call placed
        from Odoo that the center has not reported yet may still be on its
        way to the PBX: it is left to the sweep for its first minute.
        """
        return self._close_open_calls(
            SQL(
                "c.provider_id = %(provider)s AND c.external_call_id != ALL(%(live)s)"
                " AND GREATEST(c.create_date, news.last_received) < %(before)s"
                " AND (news.last_received IS NOT NULL"
                "      OR c.create_date < %(before)s - interval '1 minute')",
                provider=provider.id,
                live=sorted(live_ids),
                before=before,
            ),
            fields.Datetime.now(),
        )

    @api.model
    def _close_open_calls(self, condition, now):
        """Close the open calls that ``condition`` (SQL on the call ``c``,
        its provider ``p`` and ``news``, its last events) selects, at their
        last news; committed a batch at a time. How many were closed."""
        cr = self.env.cr
        closed = 0
        while True:
            cr.execute(
                SQL(
                    """
                    SELECT c.id,
                           LEAST(%(now)s, GREATEST(COALESCE(c.started_at,
                                 c.create_date), c.answered_at, news.last_time))
                      FROM crm_callcenter_call c
                      JOIN crm_callcenter_provider p ON p.id = c.provider_id
                     CROSS JOIN LATERAL (
                           SELECT max(e.received_at) AS last_received,
                                  max(COALESCE(e.event_time, e.received_at))
                                      AS last_time
                             FROM crm_callcenter_event e
                            WHERE e.call_id = c.id) news
                     WHERE c.state != 'ended' AND %(condition)s
                     ORDER BY c.id
                     LIMIT %(limit)s
                       FOR NO KEY UPDATE OF c SKIP LOCKED
                    """,
                    now=now,
                    condition=condition,
                    limit=SILENT_BATCH,
                )
            )
            rows = cr.fetchall()
            if not rows:
                return closed
            calls = self.sudo().browse([row[0] for row in rows])
            for call, (_call_id, last_news) in zip(calls, rows, strict=True):
                # In its company, as the webhook folds its events.
                call.with_company(call.company_id)._close_without_end(last_news)
            closed += len(rows)
            # The next batch is read in SQL: it must see these ended.
            self.env.flush_all()
            if not self.env["ir.cron"]._commit_progress(len(rows)):
                return closed

    def _close_without_end(self, ended_at):
        """End this call at ``ended_at`` as its end event would have."""
        self.ensure_one()
        provider = self.provider_id
        _logger.info(
            "Call %s (provider %s) had no news since %s: closed without its end",
            self.id,
            provider.id,
            ended_at,
        )
        before = self._fold_snapshot()
        vals = {
            "state": "ended",
            "started_at": self.started_at or ended_at,
            "ended_at": ended_at,
            "end_inferred": True,
        }
        merged = {**self._end_inputs(), **vals}
        vals.update(self._derive_end_vals(self.direction, merged))
        # Missed, but nobody knows that the caller hung up: not counted in
        # the abandonment rate (the center's late end may still say so).
        vals["is_abandoned"] = False
        if not merged["cost_reported"]:
            vals.update(
                self._derive_rated_cost_vals(self, provider, {**merged, **vals})
            )
        self.write(vals)
        self._after_fold(provider, before)

    def _register_missed(self):
        """Add missed calls to the call-back of their number, and close it
        at once if the customer was answered since (the call-back came
        before the cron)."""
        Callback = self.env["crm.callcenter.callback"].sudo()
        for call in self.sudo():
            Callback._register_missed_call(call, call.provider_id)
            missed_at = call.ended_at or call.started_at
            answered = missed_at and call.search(
                [
                    ("company_id", "=", call.company_id.id),
                    ("customer_number", "=", call.customer_number),
                    ("answered_at", ">=", missed_at),
                    # Answered and maybe still in progress: its answer
                    # event found no call-back to close.
                    "|",
                    ("state", "=", "answered"),
                    ("outcome", "=", "answered"),
                ],
                order="answered_at, id",
                limit=1,
            )
            if answered:
                Callback._close_for_call(answered)

    def _prepare_line_vals(self, provider):
        """Line (DID), sales team and opening hours of a new call."""
        number = self.did or (self.to_number if self.direction == "inbound" else "")
        did_id = team_id = calendar_id = False
        if number:
            normalized = normalize_number(
                number, provider.default_country_code, provider.dialout_prefix
            )
            did_id, team_id, calendar_id = self.env["crm.callcenter.did"]._find_line(
                provider, [number, normalized]
            )
        team_id = team_id or provider.team_id.id
        if not team_id and self.user_id:
            self.user_id.fetch(AGENT_FIELDS)
            team_id = self.user_id.sale_team_id.id
        vals = {"did_id": did_id, "team_id": team_id}
        calendar_id = calendar_id or provider.opening_calendar_id.id
        if calendar_id and self.direction == "inbound":
            calendar = self.env["resource.calendar"].sudo().browse(calendar_id)
            started = self.started_at or self.ended_at or fields.Datetime.now()
            vals["out_of_hours"] = not self._is_open(calendar, started)
        return vals

    @api.model
    def _is_open(self, calendar, moment):
        """Whether ``moment`` (naive UTC) falls in the working times of
        ``calendar``, public holidays (its leaves of no resource) excepted."""
        start = pytz.utc.localize(moment)
        intervals = calendar._work_intervals_batch(start, start + timedelta(seconds=1))
        return bool(intervals[False])

    @api.model
    def _next_opening(self, calendar, moment):
        """The first moment from ``moment`` (naive UTC) in the working times
        of ``calendar`` (within 4 weeks), as an aware datetime in the
        calendar's time zone; ``None`` when it never opens."""
        start = pytz.utc.localize(moment)
        intervals = calendar._work_intervals_batch(start, start + timedelta(days=28))
        for interval_start, _stop, _records in intervals[False]:
            return interval_start.astimezone(pytz.timezone(calendar.tz or "UTC"))
        return None

    def _prepare_lead_vals(self, provider):
        """Values of a lead for this call's unknown customer."""
        self.ensure_one()
        did = self.did_id
        team = self.team_id or provider.team_id
        if self.number_hidden:
            name = self.env._("Call from a hidden number")
        else:
            name = self.env._("Call from %(number)s", number=self.customer_number)
        return {
            "name": name,
            "phone": self.customer_number,
            "team_id": team.id,
            "company_id": self.company_id.id,
            # Nobody owns a caller yet: the agent who takes it, or the
            # missed-call round-robin, does.
            "user_id": False,
            "source_id": (did.source_id or provider.source_id).id,
            "medium_id": did.medium_id.id,
            "campaign_id": did.campaign_id.id,
            "type": "lead" if self._company_uses_leads() else "opportunity",
        }

    @api.model
    def _company_uses_leads(self):
        # The "Leads" setting implies crm.group_use_lead on internal users.
        employee = self.env.ref("base.group_user").sudo()
        return self.env.ref("crm.group_use_lead") in employee.all_implied_ids

    def _create_lead_for_caller(self, provider):
        """Lead of an unknown caller, created without the agent (webhook side)."""
        self.ensure_one()
        # The webhook runs as the public user: the lead is created as
        # superuser with every default given explicitly.
        return (
            self.env["crm.lead"]
            .sudo()
            .with_company(self.company_id)
            .create(self._prepare_lead_vals(provider))
        )

    @api.model
    def _lock_or_create(self, provider, event, from_number, to_number):
        """Return the call row of the event, locked for this transaction.

        Two events of one call handled at once by two workers must neither
        create two rows nor lose an update: the row is locked, and a
        concurrent creation surfaces as a serialization failure that Odoo's
        request and cron loops retry. The query that locks or creates the row
        also loads its columns into the cache: the fold reads them all.
        """
        cr = self.env.cr
        columns, returning = self._fold_returning()
        row = None
        if event.correlation_id:
            cr.execute(
                SQL(
                    "SELECT %s FROM crm_callcenter_call c WHERE provider_id = %s"
                    " AND external_call_id = %s FOR NO KEY UPDATE",
                    returning,
                    provider.id,
                    event.external_call_id,
                )
            )
            row = cr.fetchone()
            if not row:
                row = self._adopt_correlated(provider, event, returning)
        if not row:
            now = fields.Datetime.now()
            cr.execute(
                SQL(
                    """
                    INSERT INTO crm_callcenter_call AS c
                        (provider_id, company_id, external_call_id, direction, state,
                         from_number, to_number, create_uid, write_uid,
                         create_date, write_date)
                    VALUES (%s, %s, %s, %s, 'ringing', %s, %s, %s, %s, %s, %s)
                    ON CONFLICT (provider_id, external_call_id)
                    DO UPDATE SET write_date = c.write_date
                    RETURNING %s
                    """,
                    provider.id,
                    provider.company_id.id,
                    event.external_call_id,
                    event.direction or "inbound",
                    from_number or None,
                    to_number or None,
                    self.env.uid,
                    self.env.uid,
                    now,
                    now,
                    returning,
                )
            )
            row = cr.fetchone()
        call = self.browse(row[0])
        for fname, value in zip(columns, row[1:], strict=True):
            # Values pending in the cache (an earlier event of this call in
            # the same transaction) are newer: _insert_cache keeps them.
            self._fields[fname]._insert_cache(call, [value])
        return call

    def _adopt_correlated(self, provider, event, returning):
        """A call placed from Odoo (click-to-call) exists before the provider
        names it: give it the provider's call id and return its row.

        Only a recent call no event reached yet: a correlation id built from
        the extension and number (Zadarma) comes back with every later call
        between them, which must not take over the clicked call's row.
        """
        adapter = ADAPTERS.get(provider.code)
        first_only = SQL("")
        if adapter and adapter.correlation_ids_recur:
            self.env["crm.callcenter.event"].flush_model(["call_id"])
            first_only = SQL(
                " AND NOT EXISTS (SELECT 1 FROM crm_callcenter_event e"
                " WHERE e.call_id = c.id)"
            )
        self.env.cr.execute(
            SQL(
                "UPDATE crm_callcenter_call c SET external_call_id = %s"
                " WHERE c.id = (SELECT id FROM crm_callcenter_call c"
                "  WHERE provider_id = %s AND correlation_id = %s"
                "    AND state != 'ended' AND create_date >= %s%s"
                "  ORDER BY id DESC LIMIT 1 FOR NO KEY UPDATE)"
                " RETURNING %s",
                event.external_call_id,
                provider.id,
                event.correlation_id,
                fields.Datetime.now() - timedelta(hours=CORRELATION_HOURS),
                first_only,
                returning,
            )
        )
        row = self.env.cr.fetchone()
        if row:
            self.browse(row[0]).invalidate_recordset(["external_call_id"])
        return row

    @api.model
    def _fold_returning(self):
        """``(columns, RETURNING list)`` of the fold's row queries, built
        once per registry (the model class is rebuilt when modules change):
        composing it for every event cost more than running the query."""
        cls = type(self)
        cached = cls.__dict__.get("_crm_callcenter_fold_returning")
        if cached is None:
            columns = self._fold_columns()
            returning = SQL(", ").join(
                SQL("c.%s", SQL.identifier(fname)) for fname in ["id", *columns]
            )
            cached = (columns, SQL(returning.code))
            cls._crm_callcenter_fold_returning = cached
        return cached

    @api.model
    def _fold_columns(self):
        """Stored columns loaded with the call's row by the fold: those the
        ORM would fetch on first read (all prefetched column fields)."""
        return [
            field.name
            for field in self._fields.values()
            if field.store
            and field.column_type
            and field.prefetch is True
            and not field.translate
            and field.name != "id"
        ]

    @api.model
    def _prepare_fold_vals(
        self, call, provider, event, from_number, to_number, fallback_time=None
    ):
        current = call._end_inputs()
        vals = {}
        fallback_time = fallback_time or fields.Datetime.now()

        if event.state and STATE_RANK[event.state] > STATE_RANK[call.state]:
            vals["state"] = event.state

        started_at = event.started_at
        answered_at = event.answered_at
        ended_at = event.ended_at
        # Without explicit times, the moment a state was reached is when we
        # heard of it.
        if event.state == "ringing" and not started_at:
            started_at = fallback_time
        elif event.state == "answered" and not answered_at:
            answered_at = fallback_time
        elif event.state == "ended" and not ended_at:
            ended_at = fallback_time
        if started_at and (not call.started_at or started_at < call.started_at):
            vals["started_at"] = started_at
        if answered_at and (not call.answered_at or answered_at < call.answered_at):
            vals["answered_at"] = answered_at
        if ended_at and (not call.ended_at or ended_at > call.ended_at):
            vals["ended_at"] = ended_at
        if call.end_inferred and ended_at:
            # The center's own end, late: it replaces the one inferred when
            # the call was closed for lack of news, even when earlier.
            vals["ended_at"] = ended_at
            vals["end_inferred"] = False

        if from_number and not call.from_number:
            vals["from_number"] = from_number
        if to_number and not call.to_number:
            vals["to_number"] = to_number
        customer_number = (
            call.from_number or from_number
            if call.direction == "inbound"
            else call.to_number or to_number
        )
        if customer_number and not call.customer_number:
            if not is_hidden_number(customer_number):
                vals["customer_number"] = customer_number
            elif not call.number_hidden:
                # Kept as sent in the from/to number; nothing to match or
                # call back.
                vals["number_hidden"] = True

        if event.agent_extension and (
            event.state in ("ringing", "answered") or not call.extension
        ):
            users = self.env["crm.callcenter.extension"]._find_users(
                provider, [event.agent_extension]
            )
            user = users.get(event.agent_extension)
            if (
                event.state == "answered"
                and call.agent_answered_at
                and event.agent_extension != call.extension
            ):
                # Answered already, now on another extension: a transfer.
                vals.update(self._prepare_transfer_vals(call, event, user, answered_at))
            elif (
                event.state == "answered"
                or not call.extension
                or (user and not call.user_id and call.state == "ringing")
            ):
                # The agent who answers owns the call; ringing only fills a
                # gap (no extension yet, or none of a known agent).
                vals["extension"] = event.agent_extension
                if user or not call.user_id:
                    vals["user_id"] = user.id if user else False
                if event.state == "answered":
                    vals["agent_answered_at"] = answered_at
                if call.state == "ringing" and user and user != call.user_id:
                    # Answered by another agent it rang for: the first one
                    # takes their place among the others.
                    commands = [Command.link(call.user_id.id)] if call.user_id else []
                    if call.rang_several and user in call.ringing_user_ids:
                        commands.append(Command.unlink(user.id))
                    if commands:
                        vals["ringing_user_ids"] = commands
                        vals["rang_several"] = True
            elif (
                user
                and user != call.user_id
                and call.state == "ringing"
                and (not call.rang_several or user not in call.ringing_user_ids)
            ):
                # A ring group or a queue: the call rings for them too.
                vals["ringing_user_ids"] = [Command.link(user.id)]
                vals["rang_several"] = True

        if (
            event.state == "answered"
            and not call.agent_answered_at
            and "agent_answered_at" not in vals
        ):
            # Answered by the agent it rang for (no extension in the event).
            vals["agent_answered_at"] = answered_at

        for fname in DETAIL_FIELDS:
            value = getattr(event, fname)
            if value and value != call[fname]:
                vals[fname] = value
        if event.outcome:
            vals["outcome_reported"] = event.outcome
        if event.duration is not None:
            vals["duration"] = event.duration
            vals["timing_reported"] = True
        if event.billsec is not None:
            vals["billsec"] = event.billsec
            vals["billsec_reported"] = True
        if event.cost is not None:
            vals.update(self._prepare_reported_cost_vals(call, provider, event))

        merged = {**current, **vals}
        if merged["state"] == "ended":
            vals.update(self._derive_end_vals(call.direction, merged))
            if not merged["cost_reported"]:
                vals.update(
                    self._derive_rated_cost_vals(call, provider, {**merged, **vals})
                )
        if merged["answered_at"] and merged["started_at"]:
            vals["answer_seconds"] = seconds_between(
                merged["started_at"], merged["answered_at"]
            )
        return {
            key: value
            for key, value in vals.items()
            if call._fields[key].convert_to_write(call[key], call) != value
        }

    @api.model
    def _prepare_transfer_vals(self, call, event, user, answered_at):
        """An answer on another extension of a call answered already.

        The later answer has the call: answered after the current agent (or
        in the same second: whole seconds, or when the center gives no time
        and we heard of it), the call moves to the new extension and its
        agent, and the current agent joins the ones it was transferred from.
        Answered before (an event heard late), its agent only joins them:
        they passed the call on.
        """
        vals = {}
        previous = call.transferred_from_user_ids if call.transfer_count else None
        if answered_at >= call.agent_answered_at:
            vals["transfer_count"] = call.transfer_count + 1
            vals["extension"] = event.agent_extension
            vals["agent_answered_at"] = answered_at
            if user or not call.user_id:
                vals["user_id"] = user.id if user else False
            commands = []
            if call.user_id and user and user != call.user_id:
                commands.append(Command.link(call.user_id.id))
            if user and previous and user in previous:
                # Transferred back to an agent who had it before.
                commands.append(Command.unlink(user.id))
            if commands:
                vals["transferred_from_user_ids"] = commands
        elif user and user != call.user_id and not (previous and user in previous):
            vals["transfer_count"] = call.transfer_count + 1
            vals["transferred_from_user_ids"] = [Command.link(user.id)]
        return vals

    def _end_inputs(self):
        """What the outcome, durations and cost of the call derive from."""
        self.ensure_one()
        return {
            "state": self.state,
            "started_at": self.started_at,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "duration": self.duration,
            "billsec": self.billsec,
            "timing_reported": self.timing_reported,
            "billsec_reported": self.billsec_reported,
            "outcome_reported": self.outcome_reported,
            "cost_reported": self.cost_reported,
        }

    @api.model
    def _derive_end_vals(self, direction, merged):
        """Outcome and durations of an ended call from what is known so far."""
        vals = {}
        if merged["outcome_reported"]:
            vals["outcome"] = merged["outcome_reported"]
        elif merged["answered_at"]:
            vals["outcome"] = "answered"
        else:
            vals["outcome"] = "missed" if direction == "inbound" else "no_answer"
        vals["is_missed"] = direction == "inbound" and vals["outcome"] != "answered"
        vals["is_abandoned"] = vals["is_missed"] and vals["outcome"] in (
            "missed",
            "cancelled",
        )
        started, answered, ended = (
            merged["started_at"],
            merged["answered_at"],
            merged["ended_at"],
        )
        if not merged["timing_reported"] and started and ended:
            vals["duration"] = seconds_between(started, ended)
        # Talk time is derived unless the provider gave it: leg-based PBXs
        # report the customer leg's duration, which includes IVR time.
        if not merged["billsec_reported"]:
            vals["billsec"] = (
                seconds_between(answered, ended) if answered and ended else 0
            )
        return vals

    @api.model
    def _prepare_reported_cost_vals(self, call, provider, event):
        """The cost the provider reported, in the currency it named."""
        currency = provider.cost_currency_id or call.company_id.currency_id
        if event.currency and event.currency != currency.name:
            named = (
                self.env["res.currency"]
                .with_context(active_test=False)
                .search([("name", "=", event.currency)], limit=1)
            )
            if named:
                currency = named
            else:
                _logger.warning(
                    "Call %s: unknown cost currency %s, kept as %s",
                    event.external_call_id,
                    event.currency,
                    currency.name,
                )
        return {
            "cost": event.cost,
            "cost_currency_id": currency.id,
            "cost_reported": True,
        }

    @api.model
    def _derive_rated_cost_vals(self, call, provider, merged):
        """Cost of an ended outbound call from the provider's per-minute rate:
        the talk time rounded up to the billing increment."""
        if not provider.cost_per_minute or call.direction != "outbound":
            return {}
        increment = max(provider.cost_increment, 1)
        billed = -(-(merged["billsec"] or 0) // increment) * increment
        return {
            "cost": provider.cost_per_minute * billed / 60,
            "cost_currency_id": (
                provider.cost_currency_id or call.company_id.currency_id
            ).id,
        }

    # ------------------------------------------------------------------
    # Caller matching
    # ------------------------------------------------------------------

    def _match_counterpart(self):
        """Lead and contact of the customer's number, and the other candidates."""
        self.ensure_one()
        return self._prepare_match_vals(self._counterpart_number(), self.company_id)

    @api.model
    def _prepare_match_vals(self, number, company):
        """Lead, contact and other candidates of an E.164 number, as call values."""
        if not number or not number.startswith("+"):
            return {}
        leads, partners = self._find_candidates(number, company)
        if not leads and not partners:
            return {}
        lead, partner = self._choose_candidates(leads, partners)
        vals = {
            "candidate_lead_ids": [(6, 0, (leads - lead).ids)],
            "candidate_partner_ids": [(6, 0, (partners - partner).ids)],
        }
        if lead:
            vals["lead_id"] = lead.id
        if partner:
            vals["partner_id"] = partner.id
        return vals

    @api.model
    def _choose_candidates(self, leads, partners):
        """The lead and contact a call is about, among the candidates (best
        first): the first open lead and its contact, else the first active
        contact; with only won, lost or archived records, the first of them."""
        open_leads = leads.filtered(
            lambda lead: lead.active and lead.won_status != "won"
        )
        lead = open_leads[:1]
        partner = lead.partner_id or partners.filtered("active")[:1]
        if not lead and not partner:
            # Only won, lost or archived records: still better than nothing.
            lead = leads[:1]
            partner = lead.partner_id or partners[:1]
        return lead, partner

    @api.model
    def _find_candidates(self, number, company, limit=MATCH_LIMIT):
        """Leads and contacts with this E.164 number, best first.

        Open leads (most recently updated first) before won, then lost or
        archived ones; active people before companies, archived contacts
        last. One query over both indexed ``phone_sanitized`` columns, which
        also loads what the choice reads (active, won, contact). Only when it
        finds nothing are the records without a sanitized number compared the
        way core's ``phone_mobile_search`` does. Both run in one call of the
        database function MATCH_FUNCTION, whose plans PostgreSQL keeps (sent
        as two queries while the function is missing or out of date).

        The queries neither sort nor filter by company: ranking the few rows
        of a number in Python costs less than PostgreSQL's planning of the
        ORDER BY over tables with thirty indexes. A number shared by more
        than MATCH_SCAN rows of a table is ranked in SQL instead.
        """
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        columns = ["phone_sanitized", "company_id", "active", "write_date"]
        Lead.flush_model([*columns, "won_status", "partner_id"])
        Partner.flush_model([*columns, "is_company"])
        exact, ranked, unsanitized = self._match_queries()
        cr = self.env.cr
        if self._match_function_ready():
            cr.execute(
                SQL(
                    "SELECT * FROM %s(%s, %s)",
                    SQL.identifier(MATCH_FUNCTION),
                    number,
                    MATCH_SCAN,
                )
            )
            rows = cr.fetchall()
            # Its last column: the rows matched phone_sanitized.
            found_exact = bool(rows) and rows[0][8]
        else:
            cr.execute(SQL(exact, number=number, scan=MATCH_SCAN))
            rows = cr.fetchall()
            found_exact = bool(rows)
            digits = re.sub(r"\D", "", number)
            if not rows and digits:
                cr.execute(
                    SQL(
                        unsanitized,
                        pattern=PHONE_REGEX_PATTERN,
                        plus="+" + digits,
                        zeros="00" + digits,
                        scan=MATCH_SCAN,
                    )
                )
                rows = cr.fetchall()
        if found_exact and (
            sum(row[0] == "crm.lead" for row in rows) >= MATCH_SCAN
            or sum(row[0] == "res.partner" for row in rows) >= MATCH_SCAN
        ):
            cr.execute(SQL(ranked, number=number, company=company.id, limit=limit))
            rows = cr.fetchall()
        # row: (model, id, active, won_status, partner_id, is_company,
        #       company_id, write_date)
        rows = [row for row in rows if row[6] in (company.id, None)]
        rows.sort(key=lambda row: (row[7] or datetime.min, row[1]), reverse=True)
        lead_rows = sorted(
            (row for row in rows if row[0] == "crm.lead"),
            key=lambda row: (not row[2], row[3] == "won"),
        )[:limit]
        partner_rows = sorted(
            (row for row in rows if row[0] == "res.partner"),
            key=lambda row: (not row[2], bool(row[5])),
        )[:limit]
        leads = Lead.browse([row[1] for row in lead_rows])
        partners = Partner.browse([row[1] for row in partner_rows])
        # What the choice reads is known already: no second round trip
        # (Field._insert_cache, as Odoo 19 asks instead of the cache's
        # insert_missing: fills what the cache does not hold yet).
        for fname, index in (("active", 2), ("won_status", 3), ("partner_id", 4)):
            Lead._fields[fname]._insert_cache(leads, [row[index] for row in lead_rows])
        Partner._fields["active"]._insert_cache(
            partners, [row[2] for row in partner_rows]
        )
        return leads, partners

    def init(self):
        res = super().init()
        self._write_match_function()
        return res

    @api.model
    def _write_match_function(self):
        """Write MATCH_FUNCTION unless it is current: at the installation or
        update of this module, and of any module that extends leads or
        contacts (their phone fields shape the queries; see the mixin)."""
        type(self)._crm_callcenter_match_function = None
        if not self._match_function_ready(log=False):
            # Dropped first: a new version may return other columns, which
            # CREATE OR REPLACE refuses.
            self.env.cr.execute(
                SQL(
                    "DROP FUNCTION IF EXISTS %s(varchar, integer)",
                    SQL.identifier(MATCH_FUNCTION),
                )
            )
            self.env.cr.execute(self._match_function_sql())
            type(self)._crm_callcenter_match_function = True

    def _register_hook(self):
        super()._register_hook()
        type(self)._crm_callcenter_match_function = None
        self._match_function_ready()

    @api.model
    def _match_function_ready(self, log=True):
        """Whether MATCH_FUNCTION exists as this code writes it: checked once
        per registry. New code started without ``-u crm_callcenter`` leaves
        it missing or stale: the lookup then sends its queries as text, and
        the log asks for the update."""
        cls = type(self)
        ready = cls.__dict__.get("_crm_callcenter_match_function")
        if ready is None:
            # The function of this name and signature that the search path
            # finds, as the lookup calls it.
            self.env.cr.execute(
                "SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure(%s)",
                [f"{MATCH_FUNCTION}(varchar, integer)"],
            )
            sources = [row[0] for row in self.env.cr.fetchall()]
            ready = sources == [self._match_function_body()]
            cls._crm_callcenter_match_function = ready
            if not ready and log:
                _logger.warning(
                    "The caller lookup's database function %s is %s: update the"
                    " module crm_callcenter (-u crm_callcenter); lookups run a"
                    " little slower until then.",
                    MATCH_FUNCTION,
                    "out of date" if sources else "missing",
                )
        return ready

    @api.model
    def _match_function_body(self):
        """MATCH_FUNCTION's PL/pgSQL: the ``exact`` query of
        ``_match_queries``, and when it finds nothing, the ``unsanitized``
        one, as ``_find_candidates`` sends them otherwise."""
        exact, _ranked, unsanitized = self._match_queries()
        names = {
            "number": "p_number",
            "scan": "p_scan",
            "pattern": "p_pattern",
            "plus": "p_plus",
            "zeros": "p_zeros",
        }
        fallback = ""
        if "%(pattern)s" in unsanitized:
            fallback = f"""
    IF NOT FOUND AND p_digits <> '' THEN
        RETURN QUERY SELECT *, FALSE FROM ({unsanitized % names}) AS found;
    END IF;"""
        pattern = self.env.cr.mogrify("%s", [PHONE_REGEX_PATTERN]).decode()
        return f"""
DECLARE
    p_pattern text := {pattern};
    p_digits text := regexp_replace(p_number, '[^0-9]', '', 'g');
    p_plus text := '+' || p_digits;
    p_zeros text := '00' || p_digits;
BEGIN
    RETURN QUERY SELECT *, TRUE FROM ({exact % names}) AS found;{fallback}
END
"""

    @api.model
    def _match_function_sql(self):
        """``CREATE`` of MATCH_FUNCTION, its columns typed as the
        queries give them, plus whether the rows matched phone_sanitized."""
        return SQL(
            """
            CREATE FUNCTION %s(p_number varchar, p_scan integer)
            RETURNS TABLE (
                match_model text, match_id integer, match_active boolean,
                match_won_status varchar, match_partner_id integer,
                match_is_company boolean, match_company_id integer,
                match_write_date timestamp, match_exact boolean
            )
            LANGUAGE plpgsql STABLE AS $body$%s$body$
            """,
            SQL.identifier(MATCH_FUNCTION),
            SQL(self._match_function_body()),
        )

    @api.model
    def _match_queries(self):
        """``(exact, ranked, unsanitized)`` query texts of the caller
        matching, with named parameters; built once per registry.

        ``unsanitized``: the records whose raw number is the caller's but
        that have no sanitized number (stored before phone_validation could
        read them, or in a format it could not). Core's
        ``phone_mobile_search`` compares the same way (separators removed,
        ``+`` or ``00`` prefix) but over every row of the table; the exact
        ``phone_sanitized`` match already covered the other rows, and a
        partial index keeps this to the few rows left.
        """
        cls = type(self)
        cached = cls.__dict__.get("_crm_callcenter_match_queries")
        if cached is not None:
            return cached
        selects = {
            "crm.lead": "id, active, won_status, partner_id, NULL::bool",
            "res.partner": "id, active, NULL, NULL, is_company",
        }
        orders = {
            "crm.lead": "active DESC, COALESCE(won_status, '') = 'won'",
            "res.partner": "active DESC, COALESCE(is_company, FALSE)",
        }
        exact, ranked, unsanitized = [], [], []
        for model_name, select in selects.items():
            model = self.env[model_name]
            head = (
                f"SELECT '{model_name}', {select}, company_id, write_date"
                f" FROM {model._table}"
            )
            exact.append(f"({head} WHERE phone_sanitized = %(number)s LIMIT %(scan)s)")
            ranked.append(
                f"({head} WHERE phone_sanitized = %(number)s"
                " AND (company_id = %(company)s OR company_id IS NULL)"
                f" ORDER BY {orders[model_name]}, write_date DESC NULLS LAST,"
                " id DESC LIMIT %(limit)s)"
            )
            fnames = [
                fname
                for fname in model._phone_get_number_fields()
                if model._fields[fname].store
            ]
            if fnames:
                matches = " OR ".join(
                    f"REGEXP_REPLACE({SQL.identifier(fname).code}, %(pattern)s,"
                    " '', 'g') IN (%(plus)s, %(zeros)s)"
                    for fname in fnames
                )
                unsanitized.append(
                    f"({head} WHERE phone_sanitized IS NULL AND phone IS NOT NULL"
                    f" AND ({matches}) LIMIT %(scan)s)"
                )
        cached = (
            " UNION ALL ".join(exact),
            " UNION ALL ".join(ranked),
            " UNION ALL ".join(unsanitized) or "SELECT NULL, NULL WHERE FALSE",
        )
        cls._crm_callcenter_match_queries = cached
        return cached

    # ------------------------------------------------------------------
    # Screen pop
    # ------------------------------------------------------------------

    def _bus_payload(self, user, closed=False):
        """What the agent's browser needs: ids and display strings only."""
        self.ensure_one()
        call = self.sudo()
        others = (
            (*call.candidate_lead_ids, *call.candidate_partner_ids)
            if call.candidate_count
            else ()
        )
        records = [
            record for record in (call.lead_id, call.partner_id, *others) if record
        ]
        # Only what the display names read: the default prefetch would load
        # every column of the lead and contact rows.
        for model_name, fnames in DISPLAY_NAME_FIELDS.items():
            shown = (
                self.env[model_name]
                .sudo()
                .browse(record.id for record in records if record._name == model_name)
            )
            shown.fetch(fnames)
        candidates = [
            {"model": record._name, "id": record.id, "name": record.display_name}
            for record in records
        ]

        def ref(record):
            return {"id": record.id, "name": record.display_name} if record else False

        return {
            "call_id": call.id,
            "state": call.state,
            "direction": call.direction,
            "number": call.customer_number or call._counterpart_number() or "",
            "number_hidden": call.number_hidden,
            "name": call.lead_id.display_name or call.partner_id.display_name or "",
            "outcome": call.outcome or False,
            "closed": closed,
            "lead": ref(call.lead_id),
            "partner": ref(call.partner_id),
            "candidates": candidates,
            "started_at": fields.Datetime.to_string(call.started_at) or False,
            "answered_at": fields.Datetime.to_string(call.answered_at) or False,
            "auto_open": user.callcenter_auto_open,
            "provider": call.provider_id.name,
            "did_name": call.did_id.name or "",
            "vip": call.vip,
            "transferred_from": ", ".join(
                call.transferred_from_user_ids.mapped("name")
                if call.transfer_count
                else ()
            ),
        }

    @api.depends(
        "partner_id.category_id",
        "partner_id.commercial_partner_id.category_id",
        "lead_id.partner_id.category_id",
        "lead_id.partner_id.commercial_partner_id.category_id",
        "company_id",
    )
    def _compute_vip(self):
        for call in self:
            partner = call.partner_id or call.lead_id.partner_id
            call.vip = partner._callcenter_is_vip(call.company_id)

    def _search_vip(self, operator, value):
        """VIP calls of the current companies (Odoo gives boolean searches
        as ``in``/``not in`` [True])."""
        if operator not in ("in", "not in"):
            return NotImplemented
        tags = set()
        for company in self.env.companies:
            tags |= self.env["res.company"]._callcenter_vip_tags(company.id)
        vip = Domain.FALSE
        if tags:
            tags = list(tags)
            # As the compute: the call's contact, else its lead's; with the
            # contact's company.
            vip = Domain.OR(
                [
                    Domain("partner_id.category_id", "in", tags),
                    Domain("partner_id.commercial_partner_id.category_id", "in", tags),
                    Domain("partner_id", "=", False)
                    & Domain.OR(
                        [
                            Domain("lead_id.partner_id.category_id", "in", tags),
                            Domain(
                                "lead_id.partner_id.commercial_partner_id.category_id",
                                "in",
                                tags,
                            ),
                        ]
                    ),
                ]
            )
        return vip if (operator == "in") == (True in value) else ~vip

    def _notify_agent(self, user, closed=False):
        self.ensure_one()
        user._bus_send("crm_callcenter/call", self._bus_payload(user, closed=closed))

    @api.model
    def get_agent_state(self):
        """The current user's presence and live calls (systray after a reload)."""
        user = self.env.user
        calls = self.env["crm.callcenter.call"]
        reasons = self.env["crm.callcenter.away.reason"]
        can_call = False
        if user.has_group("crm_callcenter.crm_callcenter_group_agent"):
            reasons = reasons.search_fetch([], ["name"])
            can_call = bool(self._get_originate_extension(user)[1])
            # Calls without an end event for hours are stale, not live.
            since = fields.Datetime.now() - timedelta(hours=LIVE_CALL_HOURS)
            calls = self.search(
                [
                    "|",
                    "&",
                    ("user_id", "=", user.id),
                    ("state", "in", ("ringing", "answered")),
                    "&",
                    ("ringing_user_ids", "in", user.id),
                    ("state", "=", "ringing"),
                    ("started_at", ">=", since),
                ],
                order="started_at desc",
                limit=10,
            )
        presence = dict(
            self.env["res.users"]
            ._fields["callcenter_presence"]
            ._description_selection(self.env)
        )
        return {
            **user._callcenter_presence_dict(),
            "presence_options": list(presence.items()),
            "away_reasons": [[reason.id, reason.name] for reason in reasons],
            "auto_open": user.callcenter_auto_open,
            "can_click_to_call": can_call,
            "calls": [call._bus_payload(user) for call in calls],
        }

    # ------------------------------------------------------------------
    # Agent actions (call card, call form)
    # ------------------------------------------------------------------

    def _check_agent_action(self):
        """The agent of the call, or a manager, may act on it; while it
        rings, so may the other agents it rings for; once transferred, so may
        the agents who had it before."""
        self.ensure_one()
        self.check_access("read")
        user = self.env.user
        if (
            self.user_id != user
            and not (self.state == "ringing" and user in self.ringing_user_ids)
            and not self._was_transferred_from(user)
            and not user.has_group("crm_callcenter.crm_callcenter_group_manager")
        ):
            raise AccessError(self.env._("This call is another agent's."))

    def _was_transferred_from(self, user):
        """Whether ``user`` answered this call and passed it on."""
        self.ensure_one()
        return bool(self.transfer_count) and user in self.transferred_from_user_ids

    def _can_agent_act(self):
        try:
            self._check_agent_action()
        except AccessError:
            return False
        return True

    @api.model
    def _record_action(self, record):
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "views": [[False, "form"]],
            "target": "current",
        }

    def action_open_record(self):
        self.ensure_one()
        self.check_access("read")
        call = self.sudo()
        records = [
            record.with_env(self.env)
            for record in (call.lead_id, call.partner_id)
            if record
        ]
        if not records:
            raise UserError(
                self.env._("No lead or contact matches this call yet: create a lead.")
            )
        # The lead may be another salesperson's: fall back to the contact.
        readable = [record for record in records if record.has_access("read")]
        if not readable:
            raise UserError(
                self.env._(
                    "The lead or contact of this call belongs to someone else; "
                    "ask your manager for access."
                )
            )
        return self._record_action(readable[0])

    def action_choose_record(self, model, res_id):
        """The agent picks which of the matching records the call is about."""
        self._check_agent_action()
        call = self.sudo()
        if model == "crm.lead":
            options = call.lead_id | call.candidate_lead_ids
        elif model == "res.partner":
            options = call.partner_id | call.candidate_partner_ids
        else:
            raise UserError(
                self.env._("A call can only be linked to a lead or a contact.")
            )
        record = options.filtered(lambda r: r.id == res_id)
        if not record:
            raise UserError(self.env._("This record does not match the call's number."))
        before = call._fold_snapshot()
        if model == "crm.lead":
            vals = {"lead_id": record.id}
            if record.partner_id:
                vals["partner_id"] = record.partner_id.id
        else:
            vals = {"partner_id": record.id}
            if call.lead_id and call.lead_id.partner_id != record:
                vals["lead_id"] = False
        all_leads = call.lead_id | call.candidate_lead_ids
        all_partners = call.partner_id | call.candidate_partner_ids
        call.write(vals)
        call.write(
            {
                "candidate_lead_ids": [(6, 0, (all_leads - call.lead_id).ids)],
                "candidate_partner_ids": [(6, 0, (all_partners - call.partner_id).ids)],
            }
        )
        call._after_fold(call.provider_id, before)
        return self._record_action(record.with_env(self.env))

    def action_create_lead(self):
        """New lead form for the unknown caller; saving it links the call."""
        self._check_agent_action()
        call = self.sudo()
        if call.lead_id:
            return self._record_action(call.lead_id.with_env(self.env))
        vals = call._prepare_lead_vals(call.provider_id)
        vals["user_id"] = self.env.user.id
        if call.partner_id:
            vals["partner_id"] = call.partner_id.id
        context = {
            f"default_{key}": value
            for key, value in vals.items()
            if value and key != "company_id"
        }
        context["crm_callcenter_call_id"] = call.id
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Lead"),
            "res_model": "crm.lead",
            "views": [[False, "form"]],
            "target": "current",
            "context": context,
        }

    def _link_lead(self, lead):
        """Link the call to a lead the agent created from its card."""
        self.ensure_one()
        call = self.sudo()
        if call.lead_id:
            return
        before = call._fold_snapshot()
        vals = {"lead_id": lead.id}
        if lead.partner_id and not call.partner_id:
            vals["partner_id"] = lead.partner_id.id
        call.write(vals)
        if call.callback_id and not call.callback_id.lead_id:
            call.callback_id.write({"lead_id": lead.id})
        call._after_fold(call.provider_id, before)

    def action_log_call(self):
        self._check_agent_action()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call"),
            "res_model": "crm.callcenter.call.log",
            "views": [[False, "form"]],
            "target": "new",
            "context": {"default_call_id": self.id},
        }

    def _log(self, disposition, note):
        """Store the agent's disposition and notes, and post them on the chatter."""
        self._check_agent_action()
        call = self.sudo()
        call.write(
            {
                "disposition_id": disposition.id,
                "note": note or False,
                "logged_at": fields.Datetime.now(),
                "logged_by_id": self.env.user.id,
            }
        )
        record = call.lead_id or call.partner_id
        if record:
            # The agent may only read the customer: post as superuser, with
            # the agent as author.
            record.sudo().message_post(
                body=call._log_message_body(disposition, note),
                author_id=self.env.user.partner_id.id,
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
        if self.env.user == call.user_id or call._was_transferred_from(self.env.user):
            self.env.user.sudo()._callcenter_end_wrapup()
        return True

    def _log_message_body(self, disposition, note):
        self.ensure_one()
        direction = dict(self._fields["direction"]._description_selection(self.env))
        outcome = dict(self._fields["outcome"]._description_selection(self.env))
        minutes, seconds = divmod(self.billsec or 0, 60)
        summary = self.env._(
            "%(direction)s call %(number)s: %(outcome)s, talk time %(talk)s",
            direction=direction.get(self.direction, ""),
            number=self._customer_label(),
            outcome=outcome.get(self.outcome, "") or self.env._("in progress"),
            talk=f"{minutes}:{seconds:02d}",
        )
        parts = [
            Markup('<a href="#" data-oe-model="%s" data-oe-id="%s">%s</a>')
            % (self._name, self.id, summary)
        ]
        if disposition:
            parts.append(
                Markup("<b>%s</b> %s") % (self.env._("Disposition:"), disposition.name)
            )
        if note:
            parts.append(plaintext2html(note))
        return Markup("<br/>").join(parts)

    @api.model
    def _action_for_domain(self, domain):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_callcenter.crm_callcenter_call_action"
        )
        action["domain"] = domain
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Click-to-call
    # ------------------------------------------------------------------

    @api.model
    def action_click_to_call(self, number, res_model=None, res_id=None, confirm=False):
        """Place a call from the current agent's extension to ``number``.

        Called by the web client (phone links, Call and Call back buttons).
        ``res_model``/``res_id`` name the lead, contact or call the agent
        called from; without them the number is matched like a caller's.

        Returns ``{"status": "calling", "call_id", "number", "message"}``,
        or ``{"status": "confirm", "number", "message"}`` when the number is
        blacklisted and the user is a call center manager: the client asks
        them and calls again with ``confirm=True``. Anything else that stops
        the call raises a UserError, and leaves no call behind.

        The call row is created and committed in its own transaction before
        the provider is asked, so that the provider's first events, which
        may reach another worker while this request still waits for the
        provider's answer, find it by its correlation id.
        """
        user = self.env.user
        if not user.has_group(AGENT_GROUP):
            raise UserError(self.env._("Only call center agents can place calls."))
        extension, provider = self._get_originate_extension(user)
        if not provider:
            raise UserError(
                self.env._(
                    "You have no extension on a provider that can place calls. "
                    "Ask your call center manager to set one up for you."
                )
            )
        e164 = normalize_number(number, provider.default_country_id.code)
        if not e164.startswith("+"):
            raise UserError(
                self.env._(
                    "%(number)s is not a phone number that can be called.",
                    number=(number or "").strip() or '""',
                )
            )
        if self._is_blacklisted(e164):
            if not user.has_group(MANAGER_GROUP):
                raise UserError(
                    self.env._(
                        "%(number)s is on the blacklist: the customer does not want "
                        "to be contacted. Only a call center manager can call it.",
                        number=e164,
                    )
                )
            if not confirm:
                return {
                    "status": "confirm",
                    "number": e164,
                    "message": self.env._(
                        "%(number)s is on the blacklist: the customer does not "
                        "want to be contacted. Call anyway?",
                        number=e164,
                    ),
                }
            _logger.info("User %s calls blacklisted number %s", user.id, e164)
        vals = self._prepare_click_to_call_vals(
            provider, extension, e164, res_model, res_id
        )
        config = provider._get_adapter_config()
        adapter = provider._get_adapter()
        call_id = self._originate_create(vals)
        try:
            result = adapter.originate(
                config, extension.name, e164, vals["correlation_id"]
            )
        except Exception as exc:
            log = _logger.info if isinstance(exc, OriginateError) else _logger.exception
            log("Provider %s could not place call %s: %s", provider.id, call_id, exc)
            self._originate_discard(call_id, vals["external_call_id"])
            raise UserError(
                self._originate_error_message(exc, config["timeout"])
            ) from exc
        call_id = self._originate_store_result(
            call_id, vals["external_call_id"], result
        )
        return {
            "status": "calling",
            "call_id": call_id,
            "number": e164,
            "message": self.env._(
                "Calling %(number)s from extension %(extension)s.",
                number=e164,
                extension=extension.name,
            ),
        }

    def action_call_back(self):
        """Call button of the call form: call the customer of this call."""
        self.ensure_one()
        self.check_access("read")
        if self.number_hidden:
            raise UserError(
                self.env._(
                    "The caller hid the number: this call cannot be called back."
                )
            )
        number = self.customer_number or self._counterpart_number()
        if not number:
            raise UserError(self.env._("This call has no customer number to call."))
        return self._click_to_call_client_action(number, self._name, self.id)

    @api.model
    def _click_to_call_client_action(self, number, res_model, res_id):
        """Form buttons place calls through the web client, which shows the
        outcome and asks for the blacklist confirmation."""
        return {
            "type": "ir.actions.client",
            "tag": "crm_callcenter.click_to_call",
            "params": {"number": number, "res_model": res_model, "res_id": res_id},
        }

    @api.model
    def _get_originate_extension(self, user):
        """``(extension, provider)`` the user's calls are placed from.

        Among the user's extensions on active providers (of the selected
        companies) that can place calls: the one flagged preferred, else the
        first provider by sequence; an extension of that very provider before
        one for every provider. Empty recordsets when there is none.
        """
        Extension = self.env["crm.callcenter.extension"]
        Provider = self.env["crm.callcenter.provider"]
        extensions = Extension.search([("user_id", "=", user.id)])
        if not extensions:
            return Extension, Provider
        providers = Provider.search(
            [("company_id", "in", self.env.companies.ids)]
        ).filtered(lambda provider: provider._can_originate())
        options = []
        for extension in extensions:
            usable = (
                extension.provider_id & providers
                if extension.provider_id
                else providers
            )
            for provider in usable:
                key = (
                    not extension.is_preferred,
                    provider.sequence,
                    provider.id,
                    not extension.provider_id,
                    extension.id,
                )
                options.append((key, extension, provider))
        if not options:
            return Extension, Provider
        _key, extension, provider = min(options, key=lambda option: option[0])
        return extension, provider

    @api.model
    def _is_blacklisted(self, number):
        # Only system administrators may read the blacklist; the question
        # here is about this one number.
        return bool(
            self.env["phone.blacklist"]
            .sudo()
            .search_count([("number", "=", number)], limit=1)
        )

    @api.model
    def _prepare_click_to_call_vals(
        self, provider, extension, number, res_model, res_id
    ):
        correlation_id = str(uuid.uuid4())
        vals = {
            "provider_id": provider.id,
            "company_id": provider.company_id.id,
            # Until the provider names the call (in its answer or events).
            "external_call_id": PLACEHOLDER_PREFIX + correlation_id,
            "correlation_id": correlation_id,
            "direction": "outbound",
            "state": "ringing",
            "from_number": extension.name,
            "to_number": number,
            "customer_number": number,
            "extension": extension.name,
            "user_id": self.env.user.id,
            "started_at": fields.Datetime.now(),
        }
        vals.update(
            self._click_to_call_record_vals(number, provider, res_model, res_id)
        )
        return vals

    @api.model
    def _click_to_call_record_vals(self, number, provider, res_model, res_id):
        """Lead and contact of a placed call: the record the agent called
        from (a lead, a contact, the call called back), else the records
        matching the number as for an incoming call."""
        if (
            res_model in ("crm.lead", "res.partner", self._name)
            and isinstance(res_id, int)
            and res_id > 0
        ):
            record = self.env[res_model].browse(res_id).exists()
            if record:
                record.check_access("read")
                if res_model == "crm.lead":
                    return {"lead_id": record.id, "partner_id": record.partner_id.id}
                if res_model == "res.partner":
                    return {"partner_id": record.id}
                # The agent may read the call, not necessarily its lead.
                call = record.sudo()
                if call.customer_number == number and (call.lead_id or call.partner_id):
                    return {
                        "lead_id": call.lead_id.id,
                        "partner_id": call.partner_id.id,
                    }
        return self._prepare_match_vals(number, provider.company_id)

    @api.model
    def _in_new_transaction(self, func, retry_on=CONCURRENCY_ERRORS):
        """Run ``func(env)`` in a transaction of its own, committed at once
        (whatever becomes of the current request), retried when a provider
        event of the same call held the row."""
        for attempt in range(1, NEW_TRANSACTION_ATTEMPTS + 1):
            try:
                with self.env.registry.cursor() as cr:
                    return func(self.env(cr=cr))
            except retry_on:
                if attempt == NEW_TRANSACTION_ATTEMPTS:
                    raise
                time.sleep(random.uniform(0.05, 0.2) * attempt)
        return None

    @api.model
    def _originate_create(self, vals):
        """Create (and commit) the row of a call being placed; its id."""

        def create(env):
            # Calls are the provider's records, agents cannot create them:
            # created as superuser, with the agent as the call's agent.
            call = env["crm.callcenter.call"].sudo().create(vals)
            call.write(call._prepare_line_vals(call.provider_id))
            call._notify_agent(call.user_id)
            return call.id

        return self._in_new_transaction(create)

    @api.model
    def _originate_discard(self, call_id, placeholder):
        """Remove the row of a call the provider did not place.

        A row the provider's events adopted meanwhile (it has the provider's
        call id) is kept: that call exists, whatever the answer said.
        """

        def discard(env):
            env.cr.execute(
                SQL(
                    "SELECT external_call_id FROM crm_callcenter_call"
                    " WHERE id = %s FOR UPDATE",
                    call_id,
                )
            )
            row = env.cr.fetchone()
            if not row or row[0] != placeholder:
                return False
            call = env["crm.callcenter.call"].sudo().browse(call_id)
            # The agent's card of the call goes away.
            call._notify_agent(call.user_id, closed=True)
            call.unlink()
            return True

        return self._in_new_transaction(discard)

    @api.model
    def _originate_store_result(self, call_id, placeholder, result):
        """Keep what the provider answered: its call id (unless its events
        named the call already) and the id its events echo.

        Returns the id of the call, which is another row when the provider's
        events created the call under its id before it answered us.
        """
        result = result or OriginateResult()
        external_id = result.external_call_id

        def store(env):
            env.cr.execute(
                SQL(
                    "SELECT provider_id, external_call_id, correlation_id"
                    " FROM crm_callcenter_call WHERE id = %s FOR NO KEY UPDATE",
                    call_id,
                )
            )
            row = env.cr.fetchone()
            if not row:
                return call_id
            provider_id, current_id, correlation_id = row
            call = env["crm.callcenter.call"].sudo().browse(call_id)
            vals = {}
            if result.correlation_id and result.correlation_id != correlation_id:
                vals["correlation_id"] = result.correlation_id
            if external_id and current_id == placeholder:
                env.cr.execute(
                    SQL(
                        "SELECT id FROM crm_callcenter_call WHERE provider_id = %s"
                        " AND external_call_id = %s FOR NO KEY UPDATE",
                        provider_id,
                        external_id,
                    )
                )
                other = env.cr.fetchone()
                if other:
                    return call._merge_into(call.browse(other[0]), vals)
                vals["external_call_id"] = external_id
            if vals:
                call.write(vals)
            return call_id

        try:
            # A unique violation: the provider's first event is creating the
            # call under this id right now; the next attempt merges into it.
            return self._in_new_transaction(
                store, retry_on=(*CONCURRENCY_ERRORS, pg_errors.UniqueViolation)
            )
        except Exception:
            # The call is placed and rings: not an error for the agent. Its
            # events still find the row by the correlation id.
            _logger.exception("Could not store the provider's id of call %s", call_id)
            return call_id

    def _merge_into(self, other, vals):
        """Fold a placed call into the row the provider's events created
        under the provider's call id; the id of that row."""
        self.ensure_one()
        before = other._fold_snapshot()
        merge = {"correlation_id": self.correlation_id, **vals}
        for fname in ("user_id", "partner_id", "lead_id", "team_id"):
            if self[fname] and not other[fname]:
                merge[fname] = self[fname].id
        for fname in ("extension", "from_number", "to_number", "customer_number"):
            if self[fname] and not other[fname]:
                merge[fname] = self[fname]
        other.write(merge)
        if self.user_id:
            self._notify_agent(self.user_id, closed=True)
        self.unlink()
        other._after_fold(other.provider_id, before)
        return other.id

    @api.model
    def _originate_error_message(self, exc, timeout):
        """What the agent reads when a call could not be placed."""
        cause = (
            exc
            if isinstance(exc, requests.RequestException)
            else exc.__cause__ or exc.__context__
        )
        if isinstance(cause, requests.Timeout):
            return self.env._(
                "The provider did not answer in %(seconds)s seconds.", seconds=timeout
            )
        if isinstance(cause, requests.ConnectionError):
            return self.env._(
                "The provider could not be reached. Try again later, or ask your "
                "call center manager to check the provider's address."
            )
        if isinstance(exc, OriginateError):
            return self.env._(
                "The provider could not place the call: %(reason)s",
                reason=str(exc) or exc.__class__.__name__,
            )
        return self.env._(
            "The call could not be placed because of an unexpected error "
            "(%(error)s); the details are in the server log.",
            error=exc.__class__.__name__,
        )
