"""Targets from other systems: the task API and file imports.

Both hand a list of items (dicts) to ``_intake``, which answers item by item
(created, updated or error with a reason) and is idempotent on the external
reference: an item whose reference the campaign already has updates that
target. Contacts are found by phone number (one profile per number) and
created only when none has it.
"""

import re
from datetime import datetime, timezone

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.addons.crm_callcenter.tools.phone import normalize_number
from odoo.addons.crm_callcenter.tools.storable import INT_MAX, INT_MIN, without_nul
from odoo.exceptions import ConcurrencyError

MAX_REF = 255
# The task id of a target in the center's dialer (push mode).
TASK_REF_RE = re.compile(r"^odoo-telesales-(\d+):(\d+)$")
MAX_TEXT = 1024
PARTNER_FIELDS = ("name", "email", "street", "city", "zip", "lang")


class IntakeError(ValueError):
    """One item cannot be taken: the reason is answered for that item."""


def _text(item, key, max_len=MAX_TEXT):
    value = item.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise IntakeError(f"{key} must be a string")
    value = value.strip()
    if len(value) > max_len:
        raise IntakeError(f"{key} is too long")
    return value or None


def _parse_datetime(value, key):
    """ISO 8601 with an offset (or a datetime) → naive UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise IntakeError(f"{key} is not an ISO 8601 date-time") from exc
        if moment.tzinfo is None:
            raise IntakeError(f"{key} must carry a UTC offset")
    else:
        raise IntakeError(f"{key} must be an ISO 8601 string")
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError as exc:  # e.g. 9999-12-31T23:00:00-05:00
            raise IntakeError(f"{key} is out of range") from exc
    return moment.replace(microsecond=0)


class CrmTelesalesTarget(models.Model):
    _inherit = "crm.telesales.target"

    push_state = fields.Selection(
        [("accepted", "Accepted"), ("rejected", "Rejected")],
        "Dialer Answer",
        readonly=True,
        copy=False,
        help="What the contact center's dialer answered when it last got this "
        "target (push mode).",
    )
    push_error = fields.Char("Dialer Rejection", readonly=True, copy=False)
    pushed_at = fields.Datetime("Sent to Dialer", readonly=True, copy=False)

    def _dialer_task_ref(self):
        self.ensure_one()
        return f"{self.campaign_id._dialer_ref()}:{self.id}"

    def _prepare_dialer_tasks(self):
        """The task of each target for the center's dialer, in order."""
        provider_ids = self.campaign_id.provider_id.ids
        extensions = {}
        if self.sticky_user_id:
            for ext in (
                self.env["crm.callcenter.extension"]
                .sudo()
                .search(
                    [
                        ("provider_id", "in", provider_ids),
                        ("user_id", "in", self.sticky_user_id.ids),
                    ]
                )
            ):
                extensions.setdefault(ext.user_id.id, ext.name)
        tasks = []
        for target in self:
            not_before = target.next_attempt_at
            tasks.append(
                {
                    "task_id": target._dialer_task_ref(),
                    "number": target.phone,
                    "name": target.name or "",
                    "priority": target.priority,
                    "not_before": not_before
                    and not_before.isoformat(timespec="seconds") + "+00:00",
                    "agent": extensions.get(target.sticky_user_id.id),
                    "data": target.payload if isinstance(target.payload, dict) else {},
                }
            )
        return tasks

    @api.model
    def _find_by_task_ref(self, provider, ref):
        """The target a dialer call reports (``campaign_ref`` = task id)."""
        match = TASK_REF_RE.match(ref or "")
        if not match:
            return self.browse()
        campaign_id, target_id = (int(group) for group in match.groups())
        # Webhooks run as the public user: one row, checked against the
        # provider that reports it.
        target = self.sudo().browse(target_id).exists()
        if (
            target.campaign_id.id != campaign_id
            or target.campaign_id.provider_id != provider
        ):
            return self.browse()
        return target

    @api.model
    def _intake(self, campaign, items):
        """Create or update targets of ``campaign`` from ``items``.

        Return one result per item, in order: ``{"index", "status":
        created|updated|error, "id", "external_ref", "error"}``. Runs as a
        user allowed to create targets; contacts are looked up and created
        as superuser (one profile per number, whoever owns it).
        """
        campaign.ensure_one()
        # Text is stored as the webhooks store it: NUL replaced.
        items = without_nul(items)
        country = campaign.provider_id.default_country_id.code
        results = [None] * len(items)
        parsed = {}
        for index, item in enumerate(items):
            try:
                parsed[index] = self._intake_parse(campaign, item, country)
            except IntakeError as exc:
                ref = item.get("external_ref") if isinstance(item, dict) else None
                results[index] = {
                    "index": index,
                    "status": "error",
                    "external_ref": ref if isinstance(ref, str) else None,
                    "error": str(exc),
                }
        refs = {
            vals["external_ref"] for vals in parsed.values() if vals["external_ref"]
        }
        existing = {
            target.external_ref: target
            for target in self.search(
                [("campaign_id", "=", campaign.id), ("external_ref", "in", list(refs))]
            )
        }
        partners = self._intake_partners(campaign, parsed)
        to_create, create_indexes = [], []
        created_refs = {}
        for index, vals in parsed.items():
            partner_vals = vals.pop("partner")
            partner = partners.get(vals["phone"])
            if partner:
                vals["partner_id"] = partner.id
            ref = vals["external_ref"]
            target = existing.get(ref) if ref else None
            if target:
                target.write(self._intake_update_vals(target, vals, partner_vals))
                results[index] = {"index": index, "status": "updated", "id": target.id}
            elif ref and ref in created_refs:
                # The same reference twice in one batch: the last one wins.
                position = created_refs[ref]
                to_create[position].update(vals)
                results[index] = {"index": index, "status": "updated"}
                create_indexes.append((index, position))
            else:
                if ref:
                    created_refs[ref] = len(to_create)
                create_indexes.append((index, len(to_create)))
                to_create.append({**vals, "campaign_id": campaign.id})
        if to_create:
            try:
                with self.env.cr.savepoint():
                    created = self.create(to_create)
            except pg_errors.UniqueViolation as exc:
                # Another request created one of these references meanwhile
                # (its row is invisible to this transaction's snapshot):
                # start over, the retry sees it and updates it.
                raise ConcurrencyError(
                    "a target reference was created concurrently"
                ) from exc
            for index, position in create_indexes:
                result = results[index] or {"index": index, "status": "created"}
                result["id"] = created[position].id
                results[index] = result
        for index, result in enumerate(results):
            if result["status"] != "error":
                result["external_ref"] = parsed[index]["external_ref"] or None
        if to_create or existing:
            campaign._on_targets_added()
        return results

    def _api_status(self):
        """What the task API answers about a target."""
        self.ensure_one()

        def stamp(moment):
            if not moment:
                return None
            return moment.isoformat(timespec="seconds") + "+00:00"

        return {
            "id": self.id,
            "campaign_id": self.campaign_id.id,
            "external_ref": self.external_ref or None,
            "number": self.phone,
            "name": self.name or None,
            "state": self.state,
            "attempts": self.attempts,
            "next_attempt_at": stamp(self.next_attempt_at),
            "result": self.result or None,
            "disposition": self.disposition_id.name or None,
            "result_note": self.result_note or None,
            "reject_reason": self.reject_reason or None,
            "agent": self.user_id.login or None,
            "last_call_at": stamp(self.last_call_id.started_at),
            "dialer": self.push_state or None,
        }

    @api.model
    def _intake_parse(self, campaign, item, country):
        if not isinstance(item, dict):
            raise IntakeError("each target must be a JSON object")
        raw_number = _text(item, "number") or _text(item, "phone")
        if not raw_number:
            raise IntakeError("number is required")
        phone = normalize_number(raw_number, country)
        if not phone.startswith("+"):
            raise IntakeError(f"{raw_number} is not a valid phone number")
        payload = item.get("payload")
        if payload is not None and not isinstance(payload, dict):
            raise IntakeError("payload must be a JSON object")
        priority = item.get("priority")
        if (isinstance(priority, str) and priority.strip().lstrip("-").isdigit()) or (
            isinstance(priority, float) and priority.is_integer()
        ):
            priority = int(priority)
        elif priority == "":
            priority = None
        if priority is not None and (
            isinstance(priority, bool) or not isinstance(priority, int)
        ):
            raise IntakeError("priority must be an integer")
        if priority is not None and not INT_MIN <= priority <= INT_MAX:
            raise IntakeError(f"priority must be between {INT_MIN} and {INT_MAX}")
        vals = {
            "phone": phone,
            "external_ref": _text(item, "external_ref", MAX_REF),
            "partner": {
                key: value
                for key in PARTNER_FIELDS
                if (value := _text(item, key)) is not None
            },
        }
        if payload is not None:
            vals["payload"] = payload
        if priority is not None:
            vals["priority"] = priority
        not_before = _parse_datetime(item.get("not_before"), "not_before")
        if not_before:
            vals["next_attempt_at"] = not_before
        agent = item.get("agent")
        if agent not in (None, ""):
            vals["sticky_user_id"] = self._intake_agent(campaign, agent).id
        return vals

    @api.model
    def _intake_agent(self, campaign, agent):
        """The preferred agent, by login or id: one of the campaign's agents."""
        agents = campaign.sudo()._get_agents()
        if isinstance(agent, int) and not isinstance(agent, bool):
            user = agents.filtered(lambda u: u.id == agent)
        elif isinstance(agent, str):
            user = agents.filtered(lambda u: u.login == agent.strip())
        else:
            raise IntakeError("agent must be a login or a user id")
        if not user:
            raise IntakeError(f"agent {agent} does not work in this campaign")
        return user

    @api.model
    def _intake_partners(self, campaign, parsed):
        """Contact of each number: the existing one, else a new one when the
        item names the customer. One query for the whole batch."""
        numbers = {vals["phone"] for vals in parsed.values()}
        if not numbers:
            return {}
        # Contacts are shared by all agents: found and created as superuser.
        Partner = self.env["res.partner"].sudo()
        found = {}
        for partner in Partner.search(
            [
                ("phone_sanitized", "in", list(numbers)),
                ("company_id", "in", [campaign.company_id.id, False]),
            ],
            order="is_company, id",
        ):
            found.setdefault(partner.phone_sanitized, partner)
        to_create = {}
        for vals in parsed.values():
            partner_vals = vals["partner"]
            if vals["phone"] not in found and partner_vals.get("name"):
                to_create.setdefault(
                    vals["phone"], {**partner_vals, "phone": vals["phone"]}
                )
        if to_create:
            for number, partner in zip(
                to_create, Partner.create(list(to_create.values())), strict=True
            ):
                found[number] = partner
        return found

    @api.model
    def _intake_update_vals(self, target, vals, partner_vals):
        """What an item changes on the target that has its reference."""
        vals = dict(vals)
        vals.pop("external_ref", None)
        if target.phone == vals.get("phone"):
            vals.pop("phone")
        if (
            partner_vals.get("email")
            and target.partner_id
            and not target.partner_id.email
        ):
            target.partner_id.sudo().email = partner_vals["email"]
        return vals
