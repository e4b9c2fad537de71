from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.call_event import OUTCOMES, STATE_RANK
from ..tools.phone import normalize_number

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
DETAIL_FIELDS = ("hangup_cause", "recording_url", "queue", "campaign_ref", "did")
MATCH_LIMIT = 20


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
    hangup_cause = fields.Char(readonly=True)
    recording_url = fields.Char(readonly=True)
    queue = fields.Char(readonly=True)
    campaign_ref = fields.Char("Campaign Reference", readonly=True)
    event_ids = fields.One2many("crm.callcenter.event", "call_id", readonly=True)

    _external_call_id_unique = models.Constraint(
        "UNIQUE(provider_id, external_call_id)",
        "A call can be recorded only once per provider.",
    )

    @api.depends("direction", "from_number", "to_number", "partner_id", "lead_id")
    def _compute_display_name(self):
        for call in self:
            number = call._counterpart_number()
            who = call.lead_id.display_name or call.partner_id.display_name
            arrow = "←" if call.direction == "inbound" else "→"
            call.display_name = (
                f"{arrow} {who} ({number})" if who else f"{arrow} {number}"
            )

    def _counterpart_number(self):
        """The customer's number: the caller inbound, the called outbound."""
        self.ensure_one()
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
        country = provider.default_country_id.code
        prefix = provider.dialout_prefix
        from_number = normalize_number(event.from_number, country, prefix)
        to_number = normalize_number(event.to_number, country, prefix)
        call = self._lock_or_create(provider, event, from_number, to_number)
        vals = self._prepare_fold_vals(
            call, provider, event, from_number, to_number, fallback_time
        )
        if vals:
            call.write(vals)
        if not call.partner_id and not call.lead_id:
            match_vals = call._match_counterpart()
            if match_vals:
                call.write(match_vals)
        return call

    @api.model
    def _lock_or_create(self, provider, event, from_number, to_number):
        """Return the call row of the event, locked for this transaction.

        Two events of one call handled at once by two workers must neither
        create two rows nor lose an update: the row is locked, and a
        concurrent creation surfaces as a serialization failure that Odoo's
        request and cron loops retry.
        """
        cr = self.env.cr
        select = SQL(
            "SELECT id FROM crm_callcenter_call"
            " WHERE provider_id = %s AND external_call_id = %s FOR NO KEY UPDATE",
            provider.id,
            event.external_call_id,
        )
        cr.execute(select)
        row = cr.fetchone()
        if not row:
            now = fields.Datetime.now()
            cr.execute(
                SQL(
                    """
                    INSERT INTO crm_callcenter_call
                        (provider_id, company_id, external_call_id, direction, state,
                         from_number, to_number, create_uid, write_uid,
                         create_date, write_date)
                    VALUES (%s, %s, %s, %s, 'ringing', %s, %s, %s, %s, %s, %s)
                    ON CONFLICT (provider_id, external_call_id) DO NOTHING
                    RETURNING id
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
                )
            )
            row = cr.fetchone()
            if not row:  # READ COMMITTED only: another transaction created it
                cr.execute(select)
                row = cr.fetchone()
        return self.browse(row[0])

    @api.model
    def _prepare_fold_vals(
        self, call, provider, event, from_number, to_number, fallback_time=None
    ):
        current = {
            "state": call.state,
            "started_at": call.started_at,
            "answered_at": call.answered_at,
            "ended_at": call.ended_at,
            "duration": call.duration,
            "billsec": call.billsec,
            "timing_reported": call.timing_reported,
            "outcome_reported": call.outcome_reported,
        }
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

        if from_number and not call.from_number:
            vals["from_number"] = from_number
        if to_number and not call.to_number:
            vals["to_number"] = to_number

        if event.agent_extension and (event.state == "answered" or not call.extension):
            # The agent who answers owns the call; ringing only fills a gap.
            users = self.env["crm.callcenter.extension"]._find_users(
                provider, [event.agent_extension]
            )
            vals["extension"] = event.agent_extension
            user = users.get(event.agent_extension)
            if user or not call.user_id:
                vals["user_id"] = user.id if user else False

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
            vals["timing_reported"] = True

        merged = {**current, **vals}
        if merged["state"] == "ended":
            vals.update(self._derive_end_vals(call.direction, merged))
        return {
            key: value
            for key, value in vals.items()
            if call._fields[key].convert_to_write(call[key], call) != value
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
        if not merged["timing_reported"]:
            started, answered, ended = (
                merged["started_at"],
                merged["answered_at"],
                merged["ended_at"],
            )
            if started and ended:
                vals["duration"] = max(int((ended - started).total_seconds()), 0)
            vals["billsec"] = (
                max(int((ended - answered).total_seconds()), 0)
                if answered and ended
                else 0
            )
        return vals

    # ------------------------------------------------------------------
    # Caller matching
    # ------------------------------------------------------------------

    def _match_counterpart(self):
        """Lead and contact of the customer's number, and the other candidates."""
        self.ensure_one()
        number = self._counterpart_number()
        if not number or not number.startswith("+"):
            return {}
        leads, partners = self._find_candidates(number, self.company_id)
        if not leads and not partners:
            return {}
        open_leads = leads.filtered(
            lambda lead: lead.active and lead.won_status != "won"
        )
        lead = open_leads[:1]
        partner = lead.partner_id or partners.filtered("active")[:1]
        if not lead and not partner:
            # Only won, lost or archived records: still better than nothing.
            lead = leads[:1]
            partner = lead.partner_id or partners[:1]
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
    def _find_candidates(self, number, company, limit=MATCH_LIMIT):
        """Leads and contacts with this E.164 number, best first.

        Open leads (most recently updated first) before lost or archived ones;
        active people before companies, archived contacts last. Core's
        ``phone_mobile_search`` is asked only when the sanitized match finds
        nothing (numbers stored before phone_validation could sanitize them).
        """
        domain = [("company_id", "in", [company.id, False])]
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        Partner = self.env["res.partner"].sudo().with_context(active_test=False)
        order = "active desc, write_date desc, id desc"
        leads = Lead.search(
            [("phone_sanitized", "=", number), *domain], order=order, limit=limit
        )
        partners = Partner.search(
            [("phone_sanitized", "=", number), *domain],
            order="active desc, is_company, write_date desc, id desc",
            limit=limit,
        )
        if not leads and not partners:
            leads = Lead.search(
                [("phone_mobile_search", "=", number), *domain],
                order=order,
                limit=limit,
            )
            partners = Partner.search(
                [("phone_mobile_search", "=", number), *domain],
                order="active desc, is_company, write_date desc, id desc",
                limit=limit,
            )
        # Open leads first; won, then lost/archived ones after them.
        leads = leads.sorted(lambda lead: (not lead.active, lead.won_status == "won"))
        return leads, partners

    @api.model
    def _action_for_domain(self, domain):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_callcenter.crm_callcenter_call_action"
        )
        action["domain"] = domain
        action["context"] = {}
        return action
