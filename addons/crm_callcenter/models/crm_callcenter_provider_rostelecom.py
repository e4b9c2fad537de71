import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.base.models.res_partner import _tz_get

from ..tools.providers.base import PayloadError
from ..tools.providers.rostelecom import (
    DEFAULT_API_URL,
    DEFAULT_OPTIONS,
    RostelecomApiError,
)
from ..tools.storable import without_nul

_logger = logging.getLogger(__name__)

# Minutes to wait before each new attempt at fetching a call's details: the
# recording in particular is only ready some time after the call ended.
FETCH_RETRY_MINUTES = (1, 2, 5, 15, 30, 60)
FETCH_BATCH = 50


# One file per provider type: its settings, and what it adds to calls.
# pylint: disable=consider-merging-classes-inherited


class CrmCallcenterProvider(models.Model):
    _inherit = "crm.callcenter.provider"

    code = fields.Selection(
        selection_add=[("rostelecom", "Rostelecom Virtual PBX")],
        ondelete={"rostelecom": "set default"},
    )
    rostelecom_client_id = fields.Char(
        "Rostelecom Client ID",
        groups="base.group_system",
        help="Unique identification code of the integration (X-Client-ID), from "
        "the virtual PBX's integration settings.",
        prefetch="rostelecom",
    )
    rostelecom_sign_key = fields.Char(
        "Rostelecom Signing Key",
        groups="base.group_system",
        help="Key of the integration (X-Client-Sign): requests in both directions "
        "are signed with it.",
        prefetch="rostelecom",
    )
    rostelecom_api_url = fields.Char(
        "Rostelecom API URL",
        default=DEFAULT_API_URL,
        help="Base URL of the virtual PBX's API (click-to-call, call details).",
        prefetch="rostelecom",
    )
    rostelecom_sip_domain = fields.Char(
        "Rostelecom SIP Domain",
        help="Domain of the employees' SIP addresses (e.g. company.rt.ru): an "
        "agent's extension 101 is called as sip:101@company.rt.ru for "
        "click-to-call. An extension written as a full SIP address is used as is.",
        prefetch="rostelecom",
    )
    rostelecom_timezone = fields.Selection(
        _tz_get,
        "Rostelecom Time Zone",
        default="Europe/Moscow",
        help="Time zone of the times the virtual PBX sends without one "
        "(Moscow time for cloudpbx.rt.ru).",
        prefetch="rostelecom",
    )
    rostelecom_fetch_record = fields.Boolean(
        "Fetch Recording Links",
        default=True,
        help="After a recorded call, ask the virtual PBX for the recording's "
        "link (get_record).",
        prefetch="rostelecom",
    )
    rostelecom_answer_needs_agent = fields.Boolean(
        "Answered Only With an Employee",
        help="Count the 'connected' event as an agent's answer only when it "
        "names an employee; use it if your domain sends 'connected' when the "
        "voice menu answers.",
        prefetch="rostelecom",
    )
    # Field names the public sources of this API disagree on or do not
    # confirm: the documented names are the defaults.
    rostelecom_agent_fields = fields.Char(
        "Employee Fields",
        default=",".join(DEFAULT_OPTIONS["agent_fields"]),
        help="Fields of the call events that hold the employee's extension, "
        "comma-separated; the first one present is used.",
        prefetch="rostelecom",
    )
    rostelecom_name_field = fields.Char(
        "Caller Name Field",
        help="Field of the call events that holds the caller's name, if your "
        "domain sends one.",
        prefetch="rostelecom",
    )
    rostelecom_info_start_field = fields.Char(
        "Start Time Path",
        default=DEFAULT_OPTIONS["info_start"],
        help="Path of the call's start time in the call_info answer.",
        prefetch="rostelecom",
    )
    rostelecom_info_duration_field = fields.Char(
        "Duration Path",
        default=DEFAULT_OPTIONS["info_duration"],
        help="Path of the call's duration (seconds) in the call_info answer.",
        prefetch="rostelecom",
    )
    rostelecom_info_state_field = fields.Char(
        "Call State Path",
        default=DEFAULT_OPTIONS["info_state"],
        help="Path of the call's state (accepted or not) in the call_info answer.",
        prefetch="rostelecom",
    )
    rostelecom_info_accepted_value = fields.Char(
        "Accepted State Value",
        default=DEFAULT_OPTIONS["info_accepted"],
        help="Value of the call state that means an employee took the call; "
        "any other value makes the call missed.",
        prefetch="rostelecom",
    )
    rostelecom_record_url_field = fields.Char(
        "Recording Link Path",
        default=DEFAULT_OPTIONS["record_url"],
        help="Path of the recording's link in the get_record answer.",
        prefetch="rostelecom",
    )
    rostelecom_callback_id_field = fields.Char(
        "Click-to-call Call ID Path",
        default=DEFAULT_OPTIONS["callback_id"],
        help="Path of the call's session id in the call_back answer: the call "
        "placed from Odoo is matched with its events by it.",
        prefetch="rostelecom",
    )

    def _get_adapter(self):
        adapter = super()._get_adapter()
        if self.code == "rostelecom":
            adapter.options = self._get_rostelecom_options()
        return adapter

    def _get_rostelecom_options(self):
        """How the Rostelecom adapter reads events and answers (no secrets:
        the retry cron parses stored events with them too)."""
        self.ensure_one()
        agent_fields = tuple(
            field.strip()
            for field in (self.rostelecom_agent_fields or "").split(",")
            if field.strip()
        )
        return {
            **DEFAULT_OPTIONS,
            "agent_fields": agent_fields,
            "name_field": (self.rostelecom_name_field or "").strip() or None,
            "timezone": self.rostelecom_timezone or DEFAULT_OPTIONS["timezone"],
            "answer_needs_agent": self.rostelecom_answer_needs_agent,
            "info_start": self.rostelecom_info_start_field or "",
            "info_duration": self.rostelecom_info_duration_field or "",
            "info_state": self.rostelecom_info_state_field or "",
            "info_accepted": (self.rostelecom_info_accepted_value or "").strip(),
            "record_url": self.rostelecom_record_url_field or "",
            "callback_id": self.rostelecom_callback_id_field or "",
        }

    def _get_adapter_config(self):
        config = super()._get_adapter_config()
        if self.code == "rostelecom":
            provider = self.sudo()
            config.update(
                {
                    "rostelecom_client_id": (
                        provider.rostelecom_client_id or ""
                    ).strip(),
                    "rostelecom_sign_key": (provider.rostelecom_sign_key or "").strip(),
                    "rostelecom_api_url": provider.rostelecom_api_url
                    or DEFAULT_API_URL,
                    "rostelecom_sip_domain": (
                        provider.rostelecom_sip_domain or ""
                    ).strip(),
                }
            )
        return config


class CrmCallcenterCall(models.Model):
    """Rostelecom's events carry no duration nor recording: once a call
    ended, a cron asks the API for them (call_info, then get_record) and
    folds the answers through the inbox like any other event."""

    _inherit = "crm.callcenter.call"

    rostelecom_fetch = fields.Selection(
        [
            ("info", "Call Details"),
            ("record", "Recording"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        "Details Fetch",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Technical: what is still to be asked from the provider's API "
        "about this call.",
    )
    rostelecom_fetch_attempts = fields.Integer(
        "Details Fetch Attempts", readonly=True, copy=False
    )
    rostelecom_fetch_next_at = fields.Datetime(
        "Next Details Fetch", readonly=True, copy=False
    )
    rostelecom_fetch_error = fields.Char(
        "Details Fetch Error", readonly=True, copy=False
    )

    def _after_fold(self, provider, before):
        res = super()._after_fold(provider, before)
        if (
            provider.code == "rostelecom"
            and self.state == "ended"
            and before["state"] != "ended"
            and not self.rostelecom_fetch
        ):
            # Not in the webhook request: the provider must get its answer
            # at once, and a slow API must not hold it.
            self.write(
                {
                    "rostelecom_fetch": "info",
                    "rostelecom_fetch_attempts": 0,
                    "rostelecom_fetch_next_at": fields.Datetime.now(),
                }
            )
            self.env.ref(
                "crm_callcenter.ir_cron_crm_callcenter_rostelecom_fetch"
            )._trigger()
        return res

    @api.model
    def _cron_rostelecom_fetch(self):
        """Fetch the details of ended Rostelecom calls that are due."""
        domain = [
            ("rostelecom_fetch", "in", ("info", "record")),
            ("rostelecom_fetch_next_at", "<=", fields.Datetime.now()),
        ]
        while True:
            # Calls of every company: the cron runs as superuser.
            calls = self.sudo().search(
                domain, order="rostelecom_fetch_next_at, id", limit=FETCH_BATCH
            )
            if not calls:
                break
            for call in calls:
                call._rostelecom_fetch_step()
                # Each call's answer is kept even if a later one fails.
                remaining = self.env["ir.cron"]._commit_progress(1)
                if not remaining:
                    return

    def _rostelecom_fetch_step(self):
        """Ask the API for the next missing piece of this call, store the
        answer in the inbox and fold it; on failure retry later."""
        self.ensure_one()
        provider = self.provider_id
        method = "call_info" if self.rostelecom_fetch == "info" else "get_record"
        adapter = provider._get_adapter()
        try:
            answer = adapter.api_call(
                provider._get_adapter_config(),
                method,
                {"session_id": self.external_call_id},
            )
            body = adapter.details_body(
                self.external_call_id, self.direction, method, answer
            )
            events = adapter.parse(body)
        except (RostelecomApiError, PayloadError) as exc:
            self._rostelecom_fetch_failed(f"{method}: {exc}")
            return
        self.env["crm.callcenter.event"].with_company(self.company_id)._receive(
            provider.with_company(self.company_id),
            f"{method}|{self.external_call_id}",
            body.decode(),
            events,
        )
        next_step = "done"
        if (
            method == "call_info"
            and self.recording_id
            and not self.recording_url
            and provider.rostelecom_fetch_record
        ):
            next_step = "record"
        self.write(
            {
                "rostelecom_fetch": next_step,
                "rostelecom_fetch_attempts": 0,
                "rostelecom_fetch_next_at": fields.Datetime.now()
                if next_step == "record"
                else False,
                "rostelecom_fetch_error": False,
            }
        )

    def _rostelecom_fetch_failed(self, error):
        self.ensure_one()
        _logger.info("Rostelecom details of call %s not fetched: %s", self.id, error)
        attempts = self.rostelecom_fetch_attempts + 1
        vals = {
            "rostelecom_fetch_attempts": attempts,
            # The API's own words may be in it.
            "rostelecom_fetch_error": without_nul(error),
        }
        if attempts > len(FETCH_RETRY_MINUTES):
            vals.update(rostelecom_fetch="failed", rostelecom_fetch_next_at=False)
        else:
            next_at = fields.Datetime.now() + timedelta(
                minutes=FETCH_RETRY_MINUTES[attempts - 1]
            )
            vals["rostelecom_fetch_next_at"] = next_at
            self.env.ref(
                "crm_callcenter.ir_cron_crm_callcenter_rostelecom_fetch"
            )._trigger(next_at)
        self.write(vals)
