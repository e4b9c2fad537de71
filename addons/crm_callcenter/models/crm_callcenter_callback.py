from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL, format_datetime

# Missed calls listed in a call-back's activity note.
NOTE_CALLS = 10


class CrmCallcenterCallback(models.Model):
    """One open "call back" per customer number, however often they missed us.

    The unique index on open rows is what keeps two missed calls handled at
    the same time by two workers from creating two activities: the second
    insert turns into a serialization failure and Odoo retries that request,
    which then finds this row.
    """

    _name = "crm.callcenter.callback"
    _description = "Missed-Call Call-back"
    _order = "last_missed_at desc, id desc"
    _rec_name = "number"

    company_id = fields.Many2one("res.company", required=True, readonly=True)
    provider_id = fields.Many2one(
        "crm.callcenter.provider", readonly=True, ondelete="set null"
    )
    number = fields.Char(required=True, readonly=True)
    state = fields.Selection(
        [("open", "To Call Back"), ("done", "Called Back")],
        required=True,
        default="open",
        readonly=True,
    )
    lead_id = fields.Many2one("crm.lead", readonly=True, ondelete="set null")
    partner_id = fields.Many2one(
        "res.partner", "Contact", readonly=True, ondelete="set null"
    )
    user_id = fields.Many2one("res.users", "Responsible", readonly=True)
    activity_id = fields.Many2one(
        "mail.activity", readonly=True, ondelete="set null", index="btree_not_null"
    )
    missed_count = fields.Integer("Missed Calls", readonly=True, default=0)
    first_missed_at = fields.Datetime(readonly=True)
    last_missed_at = fields.Datetime(readonly=True)
    done_at = fields.Datetime("Called Back At", readonly=True)
    done_call_id = fields.Many2one(
        "crm.callcenter.call", "Call-back Call", readonly=True, ondelete="set null"
    )
    call_ids = fields.One2many("crm.callcenter.call", "callback_id", readonly=True)

    _open_number_unique = models.UniqueIndex(
        "(company_id, number) WHERE state = 'open'"
    )

    # ------------------------------------------------------------------
    # Missed calls
    # ------------------------------------------------------------------

    @api.model
    def _register_missed_call(self, call, provider):
        """Add a missed call to the open call-back of its number (or open one)."""
        number = call.customer_number
        callback, created = self._open_for_number(call.company_id, number, provider)
        missed_at = call.ended_at or call.started_at or fields.Datetime.now()
        vals = {
            "missed_count": callback.missed_count + 1,
            "last_missed_at": max(missed_at, callback.last_missed_at or missed_at),
            "first_missed_at": min(missed_at, callback.first_missed_at or missed_at),
        }
        if not callback.lead_id and not callback.partner_id:
            vals.update(callback._target_vals(call, provider))
        callback.write(vals)
        call.write({"callback_id": callback.id, "callback_state": "pending"})
        if created or not callback.activity_id:
            callback._schedule_activity(provider, call)
        else:
            callback._update_activity()
        return callback

    @api.model
    def _open_for_number(self, company, number, provider):
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_callcenter_callback
                    (company_id, provider_id, number, state, missed_count,
                     create_uid, write_uid, create_date, write_date)
                VALUES (%s, %s, %s, 'open', 0, %s, %s, now() at time zone 'UTC',
                        now() at time zone 'UTC')
                ON CONFLICT (company_id, number) WHERE state = 'open' DO NOTHING
                RETURNING id
                """,
                company.id,
                provider.id,
                number,
                self.env.uid,
                self.env.uid,
            )
        )
        row = self.env.cr.fetchone()
        if row:
            return self.browse(row[0]), True
        self.env.cr.execute(
            SQL(
                "SELECT id FROM crm_callcenter_callback"
                " WHERE company_id = %s AND number = %s AND state = 'open'"
                " FOR NO KEY UPDATE",
                company.id,
                number,
            )
        )
        return self.browse(self.env.cr.fetchone()[0]), False

    def _target_vals(self, call, provider):
        """Record and responsible of the call-back: the customer's, else a new lead."""
        lead = call.lead_id
        partner = call.partner_id
        if not lead and not partner:
            lead = call._create_lead_for_caller(provider)
            call.write({"lead_id": lead.id})
        user = (lead.user_id if lead else partner.user_id) or partner.user_id
        if not user:
            team = call.team_id or provider.team_id
            agents = team.member_ids.filtered(
                lambda u: (
                    u.active
                    and u.has_group("crm_callcenter.crm_callcenter_group_agent")
                )
            )
            user = provider._next_callback_user(agents or team.member_ids)
            if not user:
                user = team.user_id
            if lead and user and not lead.user_id:
                lead.write({"user_id": user.id})
        return {
            "lead_id": lead.id,
            "partner_id": (partner or lead.partner_id).id,
            "user_id": user.id,
        }

    def _record(self):
        self.ensure_one()
        return self.lead_id or self.partner_id

    def _schedule_activity(self, provider, call=None):
        self.ensure_one()
        record = self._record()
        if not record:
            return
        # No responsible found: whoever configured the provider hears of it,
        # rather than the public user the webhook runs as.
        user = self.user_id or provider.create_uid
        deadline = {}
        if call and call.out_of_hours:
            # Missed while the center was closed: due when it opens again.
            calendar = call.did_id.opening_calendar_id or provider.opening_calendar_id
            missed_at = call.ended_at or call.started_at or fields.Datetime.now()
            opening = call._next_opening(calendar.sudo(), missed_at)
            if opening:
                deadline["date_deadline"] = opening.date()
        activity = record.activity_schedule(
            "mail.mail_activity_data_call",
            summary=self._activity_summary(),
            note=self._activity_note(),
            user_id=user.id,
            **deadline,
        )
        self.write({"activity_id": activity.id, "user_id": user.id})

    def _update_activity(self):
        self.ensure_one()
        self.activity_id.write(
            {"summary": self._activity_summary(), "note": self._activity_note()}
        )

    def _activity_summary(self):
        if self.missed_count > 1:
            return self.env._(
                "Call back %(number)s (%(count)s missed calls)",
                number=self.number,
                count=self.missed_count,
            )
        return self.env._("Call back %(number)s", number=self.number)

    def _activity_note(self):
        """The latest missed calls, oldest first (a number that keeps
        calling must not make the note, and its rewriting, grow forever)."""
        # What the lines show only: a call row is wide.
        calls = self.env["crm.callcenter.call"].search_fetch(
            [("callback_id", "=", self.id)],
            ["ended_at", "started_at", "did_id", "to_number"],
            order="id desc",
            limit=NOTE_CALLS,
        )
        lines = []
        earlier = self.missed_count - len(calls)
        if earlier > 0:
            lines.append(self.env._("%(count)s earlier missed calls", count=earlier))
        tz = self.user_id.tz
        lines += [
            self.env._(
                "Missed call at %(time)s (%(line)s)",
                time=format_datetime(self.env, call.ended_at or call.started_at, tz=tz),
                line=call.did_id.name or call.to_number or "-",
            )
            for call in reversed(calls)
        ]
        return Markup("<br/>").join(lines)

    # ------------------------------------------------------------------
    # Done
    # ------------------------------------------------------------------

    def _mark_done(self, call=None, feedback=None):
        """Close call-backs: the customer was reached (or the activity was done)."""
        callbacks = self.filtered(lambda c: c.state == "open")
        if not callbacks:
            return
        now = fields.Datetime.now()
        callbacks.write(
            {
                "state": "done",
                "done_at": now,
                "done_call_id": call.id if call else False,
            }
        )
        callbacks.call_ids.filtered(lambda c: c.callback_state == "pending").write(
            {
                "callback_state": "done",
                "called_back_at": now,
                "callback_call_id": call.id if call else False,
            }
        )
        activities = callbacks.activity_id.filtered("active")
        if activities:
            activities.with_context(
                crm_callcenter_callback_closing=True
            ).action_feedback(feedback=feedback)

    @api.model
    def _close_for_call(self, call):
        """An answered call with a number closes its open call-back.

        A missed call of the number may still wait for its call-back (the
        cron gives it one after the webhook request): the same statement
        locks it. A cron run registering it right now makes this
        transaction wait for its commit and fail to serialize, and Odoo
        retries it: the retry sees the new call-back and closes it. A cron
        run while this transaction holds the lock skips the call; the run
        woken when this commits finds this call answered after the missed
        one and closes the new call-back at once. Without the lock, both
        transactions would commit and leave a call-back open for a customer
        who was answered.
        """
        self.env["crm.callcenter.call"].flush_model(
            ["callback_queued", "company_id", "customer_number"]
        )
        self.flush_model(["company_id", "number", "state"])
        self.env.cr.execute(
            SQL(
                """
                WITH queued AS (
                    SELECT id FROM crm_callcenter_call
                     WHERE callback_queued AND company_id = %(company)s
                       AND customer_number = %(number)s AND id != %(call)s
                       FOR NO KEY UPDATE
                )
                SELECT 'queued', id FROM queued
                UNION ALL
                SELECT 'open', id FROM crm_callcenter_callback
                 WHERE company_id = %(company)s AND number = %(number)s
                   AND state = 'open'
                """,
                company=call.company_id.id,
                number=call.customer_number,
                call=call.id,
            ),
            # Losing the race to the cron is expected here and retried; the
            # failed statement (with the customer's number) is not an error
            # for the log.
            log_exceptions=False,
        )
        rows = self.env.cr.fetchall()
        if any(kind == "queued" for kind, _id in rows):
            # Held until this commits: the run that skipped it must not be
            # the last one.
            self.env["crm.callcenter.event"]._trigger_cron(
                "crm_callcenter.ir_cron_crm_callcenter_missed", once=True
            )
        callbacks = self.browse([id_ for kind, id_ in rows if kind == "open"])
        if call.direction == "outbound":
            feedback = self.env._("Called back: the customer answered.")
        else:
            feedback = self.env._("The customer called again and was answered.")
        callbacks._mark_done(call, feedback)
