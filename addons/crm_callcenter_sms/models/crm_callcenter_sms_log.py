import logging
from datetime import datetime, time, timedelta

import phonenumbers
import pytz
from phonenumbers import timezone as phone_timezone

from odoo import api, fields, models
from odoo.addons.crm_callcenter.tools.storable import without_nul
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize

from ..tools import common

_logger = logging.getLogger(__name__)

STATES = [
    ("scheduled", "Scheduled"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("failed", "Failed"),
    ("skipped", "Not Sent"),
]
FAILURE_TYPES = [
    (common.SERVER_ERROR, "Server Error"),
    (common.WRONG_NUMBER, "Wrong Number Format"),
    (common.NO_CREDIT, "Insufficient Credit"),
    (common.BAD_ACCOUNT, "Account Error"),
    (common.REJECTED, "Rejected"),
    (common.NOT_DELIVERED, "Not Delivered"),
    (common.INVALID_DESTINATION, "Invalid Destination"),
    (common.EXPIRED, "Expired"),
    (common.UNKNOWN, "Unknown Error"),
    ("blacklist", "Blacklisted"),
    ("optout", "Opted Out"),
    ("no_recipient", "No Recipient"),
]
# Scheduled messages sent per cron run.
SEND_BATCH = 100


class CrmCallcenterSmsLog(models.Model):
    """One message sent (or to send) to a customer, kept for costs and
    delivery: core ``sms.sms`` rows are deleted once sent."""

    _name = "crm.callcenter.sms.log"
    _description = "Call Center Message Log"
    _order = "id desc"
    _rec_name = "number"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    kind = fields.Selection(
        [("sms", "SMS"), ("mail", "E-mail")], required=True, default="sms"
    )
    gateway_id = fields.Many2one(
        "crm.callcenter.sms.gateway", index="btree_not_null", readonly=True
    )
    failover_from_gateway_id = fields.Many2one(
        "crm.callcenter.sms.gateway",
        "Failed Over From",
        readonly=True,
        help="Gateway that failed before the backup gateway sent the message.",
    )
    number = fields.Char(readonly=True)
    email = fields.Char(readonly=True)
    partner_id = fields.Many2one("res.partner", "Recipient", readonly=True)
    body = fields.Text(readonly=True)
    sms_template_id = fields.Many2one(
        "sms.template", "SMS Template", readonly=True, ondelete="set null"
    )
    mail_template_id = fields.Many2one(
        "mail.template", "E-mail Template", readonly=True, ondelete="set null"
    )
    res_model = fields.Char("Document Model", readonly=True, index=True)
    res_id = fields.Many2oneReference(
        "Document", model_field="res_model", readonly=True
    )
    campaign_id = fields.Many2one("utm.campaign", readonly=True, index="btree_not_null")
    call_id = fields.Many2one(
        "crm.callcenter.call",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    state = fields.Selection(STATES, required=True, default="scheduled", readonly=True)
    automatic = fields.Boolean(readonly=True, help="Sent by a rule, not by a user.")
    scheduled_at = fields.Datetime("Scheduled For", readonly=True, index=True)
    sent_date = fields.Datetime("Sent On", readonly=True, index=True)
    delivered_date = fields.Datetime("Delivered On", readonly=True)
    polled_at = fields.Datetime(readonly=True)
    cost = fields.Monetary(readonly=True, currency_field="currency_id")
    currency_id = fields.Many2one("res.currency", readonly=True)
    parts = fields.Integer(readonly=True, help="Number of SMS parts billed.")
    provider_message_id = fields.Char("Gateway Message Id", readonly=True, index=True)
    sms_uuid = fields.Char("SMS UUID", readonly=True, index="btree_not_null")
    failure_type = fields.Selection(FAILURE_TYPES, readonly=True)
    failure_reason = fields.Char(readonly=True)
    dedup_key = fields.Char(
        readonly=True,
        copy=False,
        help="Technical: one message per key (e.g. per call and template).",
    )

    _dedup_key_unique = models.Constraint(
        "UNIQUE(dedup_key)", "This message was already sent."
    )

    # ------------------------------------------------------------------
    # Sending through core sms (SmsApiCallcenter)
    # ------------------------------------------------------------------

    @api.model
    def _for_sms_uuids(self, uuids, company):
        """``{uuid: log}`` for SMS about to be sent; logs are created for
        SMS sent by users (composer) and attached for scheduled ones."""
        logs = self.search([("sms_uuid", "in", uuids)])
        by_uuid = {log.sms_uuid: log for log in logs}
        missing = [uuid for uuid in uuids if uuid not in by_uuid]
        if not missing:
            return by_uuid
        pending = self.browse(self.env.context.get("crm_callcenter_sms_log_id"))
        if pending.exists() and not pending.sms_uuid:
            pending.sms_uuid = missing.pop(0)
            by_uuid[pending.sms_uuid] = pending
        if missing:
            sms_records = self.env["sms.sms"].sudo().search([("uuid", "in", missing)])
            vals_list = [self._prepare_sms_vals(sms, company) for sms in sms_records]
            for log in self.create(vals_list):
                by_uuid[log.sms_uuid] = log
        return by_uuid

    @api.model
    def _prepare_sms_vals(self, sms, company):
        message = sms.mail_message_id
        vals = {
            "company_id": company.id,
            "kind": "sms",
            "sms_uuid": sms.uuid,
            "number": sms.number,
            "partner_id": sms.partner_id.id,
            "body": sms.body,
            "state": "scheduled",
        }
        if message.model and message.res_id:
            record = self.env[message.model].browse(message.res_id)
            vals.update(
                res_model=message.model,
                res_id=message.res_id,
                campaign_id=self._campaign_of(record).id,
            )
            if message.model == "res.partner" and not sms.partner_id:
                # A number typed in the composer of a contact: still theirs.
                vals["partner_id"] = message.res_id
            if message.model == "crm.callcenter.call":
                vals["call_id"] = message.res_id
        if not vals.get("call_id") and self.env.context.get(
            "crm_callcenter_sms_call_id"
        ):
            # Sent from a call's composer (card or form), posted on its lead
            # or contact: the call's messages list it too.
            call = self.env["crm.callcenter.call"].browse(
                self.env.context["crm_callcenter_sms_call_id"]
            )
            if call.exists() and call.customer_number == sms.number:
                vals["call_id"] = call.id
        return vals

    def _record_send(self, gateway, result, body, failed_first):
        self.ensure_one()
        vals = {
            "gateway_id": gateway.id,
            "failover_from_gateway_id": failed_first.id,
            "body": self.body or body,
            "currency_id": gateway.currency_id.id,
        }
        if result.ok:
            vals.update(
                state="sent",
                sent_date=fields.Datetime.now(),
                provider_message_id=result.message_id,
                cost=result.cost,
                parts=result.parts,
                failure_type=False,
                failure_reason=False,
            )
        else:
            vals.update(
                state="failed",
                failure_type=result.error or common.UNKNOWN,
                failure_reason=result.reason,
            )
        self.write(vals)

    def _apply_status(self, status):
        """A delivery report: update the log, the SMS and its trackers."""
        for log in self:
            if log.state in ("delivered", "failed") or status.state == "sent":
                # Final states stay; "still on its way" changes nothing.
                continue
            trackers = (
                self.env["sms.tracker"].sudo().search([("sms_uuid", "=", log.sms_uuid)])
                if log.sms_uuid
                else self.env["sms.tracker"]
            )
            sms_records = (
                self.env["sms.sms"].sudo().search([("uuid", "=", log.sms_uuid)])
                if log.sms_uuid
                else self.env["sms.sms"]
            )
            if status.state == "delivered":
                log.write(
                    {"state": "delivered", "delivered_date": fields.Datetime.now()}
                )
                trackers._action_update_from_sms_state("sent")
                sms_records.write({"state": "sent", "to_delete": True})
            else:
                log.write(
                    {
                        "state": "failed",
                        "failure_type": status.error or common.NOT_DELIVERED,
                        "failure_reason": status.reason,
                    }
                )
                trackers.with_context(
                    sms_known_failure_reason=status.reason
                )._action_update_from_provider_error(
                    status.error or common.NOT_DELIVERED
                )
                sms_records.write({"state": "error", "to_delete": True})

    # ------------------------------------------------------------------
    # Messages from templates (call events, server actions, other addons)
    # ------------------------------------------------------------------

    @api.model
    def _campaign_of(self, record):
        campaign = self.env["utm.campaign"]
        if (
            "campaign_id" in record._fields
            and record._fields["campaign_id"].comodel_name == "utm.campaign"
        ):
            campaign = record.campaign_id
        if not campaign and "lead_id" in record._fields:
            campaign = record.lead_id.campaign_id
        return campaign

    @api.model
    def _recipient_of(self, record):
        """``(partner, number, email)`` of a record's customer."""
        if record._name == "crm.callcenter.call":
            partner = record.partner_id or record.lead_id.partner_id
            email = record.lead_id.email_from or partner.email
            return partner, record.customer_number, email
        partner = self.env["res.partner"]
        number = email = False
        if hasattr(record, "_sms_get_recipients_info"):
            info = record._sms_get_recipients_info()[record.id]
            partner = info["partner"][:1]
            number = info["sanitized"] or info["number"]
        elif record._name == "res.partner":
            partner = record
            number = record.phone_sanitized or record.phone
        if "email_from" in record._fields:
            email = record.email_from
        email = (
            email or partner.email or (record._name == "res.partner" and record.email)
        )
        return partner, number, email

    @api.model
    def _callcenter_send_template(
        self, template, record, dedup_key, automatic=False, call=None
    ):
        """Send ``template`` (sms.template or mail.template) to the customer
        of ``record``, once per ``dedup_key``.

        Nothing is sent here: a log is scheduled (after the quiet hours of
        the recipient for automatic messages) and the send cron is woken, so
        that callers (webhooks) stay fast and never wait for a gateway.
        Returns the new log, or an empty recordset when the key was used.
        """
        record.ensure_one()
        template.ensure_one()
        if template._name not in ("sms.template", "mail.template"):
            raise UserError(self.env._("Only SMS and e-mail templates can be sent."))
        if template.model != record._name:
            raise UserError(
                self.env._(
                    "Template %(template)s is for %(model)s records.",
                    template=template.display_name,
                    model=template.model,
                )
            )
        company = (
            record.company_id
            if "company_id" in record._fields and record.company_id
            else self.env.company
        )
        partner, number, email = self._recipient_of(record)
        kind = "sms" if template._name == "sms.template" else "mail"
        now = fields.Datetime.now()
        scheduled_at = now
        if automatic:
            scheduled_at = self._after_quiet_hours(company, number, partner, now)
        log_id = self._insert_dedup(dedup_key, company)
        if not log_id:
            return self.browse()
        log = self.browse(log_id)
        log.write(
            {
                "kind": kind,
                "number": number or False,
                "email": email or False,
                "partner_id": partner.id,
                "sms_template_id": template.id if kind == "sms" else False,
                "mail_template_id": template.id if kind == "mail" else False,
                "res_model": record._name,
                "res_id": record.id,
                "campaign_id": self._campaign_of(record).id,
                "call_id": (
                    call
                    or (
                        record
                        if record._name == "crm.callcenter.call"
                        else self.env["crm.callcenter.call"]
                    )
                ).id,
                "automatic": automatic,
                "scheduled_at": scheduled_at,
            }
        )
        skip = log._check_recipient()
        if skip:
            log.write({"state": "skipped", "failure_type": skip})
        else:
            self.env.ref("crm_callcenter_sms.ir_cron_send_scheduled")._trigger(
                scheduled_at
            )
        return log

    @api.model
    def _insert_dedup(self, dedup_key, company):
        """Insert the log row of ``dedup_key`` unless it exists: replayed or
        concurrent call events cannot send twice."""
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_callcenter_sms_log
                    (dedup_key, company_id, kind, state, automatic,
                     create_uid, write_uid, create_date, write_date)
                VALUES (%s, %s, 'sms', 'scheduled', false, %s, %s, %s, %s)
                ON CONFLICT (dedup_key) DO NOTHING
                RETURNING id
                """,
                dedup_key,
                company.id,
                self.env.uid,
                self.env.uid,
                now,
                now,
            )
        )
        row = self.env.cr.fetchone()
        return row and row[0]

    def _check_recipient(self):
        """Failure type when the recipient must not get the message."""
        self.ensure_one()
        if self.kind == "sms":
            if not self.number:
                return "no_recipient"
            # The question is about this one number; only admins read lists.
            if (
                self.env["phone.blacklist"]
                .sudo()
                .search_count(
                    [("number", "=", self.number), ("active", "=", True)], limit=1
                )
            ):
                return "blacklist"
            return False
        email = email_normalize(self.email or "")
        if not email:
            return "no_recipient"
        if (
            self.env["mail.blacklist"]
            .sudo()
            .search_count([("email", "=", email), ("active", "=", True)], limit=1)
        ):
            return "optout"
        return False

    @api.model
    def _after_quiet_hours(self, company, number, partner, now):
        """``now`` or, inside the company's quiet hours in the recipient's
        time zone, the end of the quiet hours (naive UTC)."""
        start, end = (
            company.crm_callcenter_sms_quiet_start,
            company.crm_callcenter_sms_quiet_end,
        )
        if not company.crm_callcenter_sms_quiet_hours or start == end:
            return now
        tz = self._recipient_tz(number, partner, company)
        local = pytz.utc.localize(now).astimezone(tz)
        hour = local.hour + local.minute / 60 + local.second / 3600
        inside = start <= hour < end if start < end else hour >= start or hour < end
        if not inside:
            return now
        end_time = time(int(end), round((end % 1) * 60) % 60)
        day = local.date() if hour < end else local.date() + timedelta(days=1)
        local_end = tz.localize(datetime.combine(day, end_time))
        return local_end.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _recipient_tz(self, number, partner, company):
        if partner.tz:
            return pytz.timezone(partner.tz)
        try:
            zones = phone_timezone.time_zones_for_number(
                phonenumbers.parse(number or "")
            )
        except phonenumbers.NumberParseException:
            zones = ()
        # Countries over several zones (RU) answer every zone: the first one
        # is still better than the company's.
        for zone in zones:
            if zone in pytz.all_timezones_set:
                return pytz.timezone(zone)
        return pytz.timezone(company.partner_id.tz or "UTC")

    @api.model
    def _cron_send_scheduled(self):
        done, remaining = self._send_scheduled()
        self.env["ir.cron"]._commit_progress(done, remaining=remaining)
        if remaining:
            self.env.ref("crm_callcenter_sms.ir_cron_send_scheduled")._trigger()

    @api.model
    def _send_scheduled(self, limit=SEND_BATCH):
        domain = [
            ("state", "=", "scheduled"),
            ("scheduled_at", "<=", fields.Datetime.now()),
        ]
        logs = self.sudo().search(domain, order="scheduled_at, id", limit=limit)
        for log in logs.try_lock_for_update(allow_referencing=True):
            try:
                with self.env.cr.savepoint():
                    log.with_company(log.company_id)._send_now()
            except Exception as exc:
                _logger.exception("Message log %s could not be sent", log.id)
                log.write(
                    {
                        "state": "failed",
                        "failure_type": common.UNKNOWN,
                        "failure_reason": without_nul(str(exc))[:200],
                    }
                )
        remaining = self.sudo().search_count(domain) if len(logs) == limit else 0
        return len(logs), remaining

    def _send_now(self):
        self.ensure_one()
        skip = self._check_recipient()
        if skip:
            self.write({"state": "skipped", "failure_type": skip})
            return
        record = self.env[self.res_model].browse(self.res_id).exists()
        if not record:
            self.write({"state": "skipped", "failure_type": "no_recipient"})
            return
        if self.kind == "mail":
            self.mail_template_id.send_mail(
                record.id, email_values={"email_to": self.email}
            )
            self.write({"state": "sent", "sent_date": fields.Datetime.now()})
            return
        template = self.sms_template_id
        lang = template._render_lang(record.ids)[record.id]
        body = template.with_context(lang=lang)._render_field("body", record.ids)[
            record.id
        ]
        self.body = body
        thread = record if hasattr(record, "_message_sms") else None
        if thread is None and record._name == "crm.callcenter.call":
            thread = record.lead_id or record.partner_id or None
        sender = self.with_context(crm_callcenter_sms_log_id=self.id)
        if thread is not None:
            # Posted on the customer's chatter; core sends at once and our
            # gateway API attaches the SMS to this log (context).
            thread.with_context(crm_callcenter_sms_log_id=self.id)._message_sms(
                body, partner_ids=[], sms_numbers=[self.number]
            )
        else:
            sms = (
                sender.env["sms.sms"]
                .sudo()
                .create(
                    {
                        "number": self.number,
                        "body": body,
                        "partner_id": self.partner_id.id,
                    }
                )
            )
            sms.send(raise_exception=False)
        if self.state == "scheduled":
            # Sent through a gateway outside of ours (IAP, Twilio).
            self.write({"state": "sent", "sent_date": fields.Datetime.now()})
