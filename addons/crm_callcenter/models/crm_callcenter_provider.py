import logging
import re
import secrets
import time
from datetime import datetime, timedelta

import pytz
import requests

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import signature
from ..tools.providers import DEFAULT_TIMEOUT, get_adapter
from ..tools.storable import NUL, without_nul

_logger = logging.getLogger(__name__)

TEST_RESULT_MAX = 500
_ERRNO_RE = re.compile(r"\[Errno -?\d+\] [^'\")]+")
DEFAULT_LOOKUP_RATE = 300
DEFAULT_LOOKUP_BURST = 60
# Queued events older than this mean that no cron worker folds them.
QUEUE_STALLED_MINUTES = 2


def _new_token():
    return secrets.token_urlsafe(32)


def _short_error(exc):
    """The readable cause of a connection error ("[Errno 111] Connection
    refused") rather than urllib3's whole chain."""
    text = without_nul(str(exc))
    match = _ERRNO_RE.search(text)
    return (match.group(0) if match else text)[:TEST_RESULT_MAX]


class CrmCallcenterProvider(models.Model):
    _name = "crm.callcenter.provider"
    _description = "Call Center Provider"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    code = fields.Selection(
        [("generic", "Generic (signed JSON)")],
        string="Provider Type",
        required=True,
        default="generic",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    default_country_id = fields.Many2one(
        "res.country",
        default=lambda self: self.env.company.country_id,
        help="Country used to read national numbers the provider sends "
        "(e.g. 0901234567 in Vietnam, 8 912 ... in Russia).",
    )
    # Read with the provider by every event (normalizing its numbers),
    # without a query for the country.
    default_country_code = fields.Char(
        related="default_country_id.code", store=True, export_string_translation=False
    )
    dialout_prefix = fields.Char(
        "Dial-out Prefix",
        help="Digits the PBX puts before external numbers (e.g. 9 in 9 0901234567); "
        "they are removed before matching.",
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        help="Team of the leads created for calls of this provider.",
    )
    source_id = fields.Many2one(
        "utm.source",
        string="Lead Source",
        help="Source of the leads created for calls of this provider "
        "(a line's own source wins).",
    )
    opening_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Opening Hours",
        help="When the contact center answers calls (working times and "
        "public holidays of a working schedule). Inbound calls that start "
        "outside them are marked Out of Hours: left out of the answer rate, "
        "abandonment rate and service level, and the call-back of a missed "
        "one is due on the next opening day. A line may have its own. Empty: "
        "always open.",
    )
    did_ids = fields.One2many("crm.callcenter.did", "provider_id", string="Lines")
    create_lead_unknown = fields.Boolean(
        "Create Leads for Unknown Callers",
        help="When a number nobody knows calls, create the lead as soon as it "
        "rings, with the line's team and source, instead of waiting for the "
        "agent to click Create lead.",
    )
    wrapup_seconds = fields.Integer(
        "Wrap-up Time (s)",
        default=30,
        help="After a call, the agent stays in wrap-up this long (or until the "
        "call is logged) before being available again.",
    )
    ringing_timeout_minutes = fields.Integer(
        "Close Ringing Calls After (min)",
        default=60,
        help="A call still ringing this long after the center's last event for "
        "it is closed as not answered: its end was lost. A missed inbound call "
        "gets its call-back. A late report of the center corrects the call. "
        "0: never.",
    )
    live_timeout_minutes = fields.Integer(
        "Close Calls in Progress After (min)",
        default=240,
        help="A call in progress this long after the center's last event for "
        "it is closed as ended at that event: its end was lost. Its agent is "
        "free for the next call. A late report of the center corrects the "
        "call. 0: never.",
    )
    event_retention_days = fields.Integer(
        "Keep Processed Events (days)",
        default=90,
        help="The requests of the event log that were folded into calls (or "
        "ignored) are deleted this long after they arrived: they are the "
        "raw bodies, the calls keep what they said. Failed and waiting "
        "events are kept until they are processed. 0: keep them all.",
    )
    cost_per_minute = fields.Float(
        "Cost per Minute",
        digits=(16, 4),
        help="What an outbound call costs per minute of talk time, for calls "
        "whose cost the provider does not report. 0: no cost.",
    )
    cost_currency_id = fields.Many2one(
        "res.currency",
        "Billing Currency",
        default=lambda self: self.env.company.currency_id,
        help="Currency of the rate, and of reported costs that name none.",
    )
    cost_increment = fields.Integer(
        "Billing Increment (s)",
        default=60,
        help="Talk time is billed in blocks of this many seconds, rounded up: "
        "60 per started minute, 1 per second.",
    )
    callback_rr_index = fields.Integer(
        readonly=True,
        copy=False,
        help="Technical: round-robin position for missed-call callbacks.",
    )
    webhook_token = fields.Char(
        copy=False,
        readonly=True,
        default=lambda self: _new_token(),
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="Unguessable part of the webhook URL; regenerate it if it leaked.",
    )
    webhook_url = fields.Char(
        compute="_compute_webhook_url",
        string="Webhook URL",
        groups="crm_callcenter.crm_callcenter_group_manager",
    )
    webhook_secret = fields.Char(
        copy=False,
        default=lambda self: signature.generate_secret(),
        groups="base.group_system",
        help="Standard Webhooks signing secret (whsec_...): the contact center "
        "signs each request with it.",
    )
    event_processing = fields.Selection(
        [
            ("auto", "Automatic"),
            ("inline", "In the webhook request"),
            ("queued", "In the background queue"),
        ],
        default="auto",
        required=True,
        help="Automatic: each event is folded in the webhook request, and "
        "queued only while requests wait for a web worker (a burst the "
        "workers cannot keep up with): the provider's answer never waits "
        "on a backlog. In the webhook request: each event is folded before "
        "the provider gets its answer (the screen pop leaves first). In the "
        "background queue: the event is stored and answered at once, and a "
        "cron worker folds it right after (a few tens of milliseconds "
        "later). The queue needs the cron workers (max_cron_threads > 0); "
        "when nothing folds it, automatic processing stays in the request.",
    )

    request_timeout = fields.Integer(
        "Request Timeout (s)",
        default=DEFAULT_TIMEOUT,
        help="How long to wait for the provider's API (click-to-call, "
        "dialer) before giving up with an error.",
    )
    # Recordings a self-hosted PBX keeps as files (FreeSWITCH, Asterisk).
    recording_folder = fields.Char(
        "Recordings Folder",
        help="The folder of the PBX whose files the recording paths name, e.g. "
        "/var/lib/freeswitch/recordings or /var/spool/asterisk/monitor.",
    )
    recording_base_url = fields.Char(
        "Recordings URL",
        help="Where a web server of the PBX serves that folder, e.g. "
        "https://pbx.example.com/recordings/. Odoo downloads a recording from "
        "there when it is played and passes it on: the PBX need not be "
        "reachable from the agents' browsers.",
    )
    recording_username = fields.Char(
        "Recordings User",
        groups="base.group_system",
        help="Optional: the user of that web server's HTTP basic authentication.",
    )
    recording_password = fields.Char(
        "Recordings Password",
        groups="base.group_system",
        help="Optional: the password of that web server's HTTP basic authentication.",
    )
    is_websocket = fields.Boolean(
        compute="_compute_is_websocket",
        help="Technical: the provider sends its events over a websocket the "
        "listener holds, not to the webhook.",
    )
    ws_state = fields.Selection(
        [
            ("disconnected", "Disconnected"),
            ("connecting", "Connecting"),
            ("connected", "Connected"),
            ("error", "Error"),
        ],
        string="Event Stream",
        readonly=True,
        copy=False,
        help="State of the websocket connection the listener "
        "(odoo-bin callcenter_listen) holds for this provider.",
    )
    ws_state_at = fields.Datetime("Stream State Since", readonly=True, copy=False)
    ws_error = fields.Char("Stream Error", readonly=True, copy=False)
    ws_last_event_at = fields.Datetime("Last Stream Event", readonly=True, copy=False)
    extension_ids = fields.One2many("crm.callcenter.extension", "provider_id")
    event_ids = fields.One2many("crm.callcenter.event", "provider_id")
    error_event_ids = fields.One2many(
        "crm.callcenter.event",
        "provider_id",
        string="Failed Events",
        domain=[("state", "=", "error")],
        readonly=True,
        groups="crm_callcenter.crm_callcenter_group_manager",
    )
    # Health figures read the inbox, which only managers may see.
    call_count = fields.Integer(
        compute="_compute_counts", groups="crm_callcenter.crm_callcenter_group_manager"
    )
    event_error_count = fields.Integer(
        compute="_compute_counts", groups="crm_callcenter.crm_callcenter_group_manager"
    )
    lost_end_count = fields.Integer(
        "Ends Lost (7 Days)",
        compute="_compute_counts",
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="Calls of the last 7 days whose end the center never reported: "
        "they were closed after the time without news. More than a few mean "
        "that the center's events get lost (its webhook retries, the "
        "listener).",
    )
    last_event_at = fields.Datetime(
        "Last Event Received",
        compute="_compute_counts",
        groups="crm_callcenter.crm_callcenter_group_manager",
    )
    event_today_count = fields.Integer(
        "Events Today",
        compute="_compute_counts",
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="Requests received since midnight (your time zone).",
    )
    event_hour_count = fields.Integer(
        "Events in the Last Hour",
        compute="_compute_counts",
        groups="crm_callcenter.crm_callcenter_group_manager",
    )
    queued_count = fields.Integer(
        "Events Waiting",
        compute="_compute_counts",
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="Events received and not folded yet (background queue).",
    )
    queued_since = fields.Datetime(
        "Oldest Waiting Since",
        compute="_compute_counts",
        groups="crm_callcenter.crm_callcenter_group_manager",
    )
    queue_stalled = fields.Boolean(
        compute="_compute_counts",
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="Events have waited longer than a cron worker takes to fold them.",
    )
    last_test_at = fields.Datetime(
        "Last Test",
        readonly=True,
        copy=False,
        groups="crm_callcenter.crm_callcenter_group_manager",
    )
    last_test_ok = fields.Boolean(
        "Last Test Succeeded",
        readonly=True,
        copy=False,
        groups="crm_callcenter.crm_callcenter_group_manager",
    )
    last_test_result = fields.Char(
        readonly=True,
        copy=False,
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="What the webhook URL answered to the last test event.",
    )
    lookup_url = fields.Char(
        compute="_compute_webhook_url",
        string="Caller Lookup URL",
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="The PBX asks it who calls (GET, with number=...) to route the "
        "call to the customer's salesperson.",
    )
    lookup_rate = fields.Integer(
        "Lookups per Minute",
        default=DEFAULT_LOOKUP_RATE,
        help="Caller lookups allowed per minute and client address; further "
        "requests are answered 429 with Retry-After.",
    )
    lookup_burst = fields.Integer(
        default=DEFAULT_LOOKUP_BURST,
        help="Caller lookups a client address may make at once before the "
        "per-minute rate applies.",
    )
    rejected_count = fields.Integer(
        readonly=True,
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="Requests refused for a bad or missing signature.",
    )

    _request_timeout_positive = models.Constraint(
        "CHECK(request_timeout > 0)", "The request timeout must be positive."
    )
    _wrapup_seconds_positive = models.Constraint(
        "CHECK(wrapup_seconds >= 0)", "The wrap-up time cannot be negative."
    )
    _call_timeouts_positive = models.Constraint(
        "CHECK(ringing_timeout_minutes >= 0 AND live_timeout_minutes >= 0)",
        "The times after which calls without news are closed cannot be negative.",
    )
    _event_retention_positive = models.Constraint(
        "CHECK(event_retention_days >= 0)",
        "The days processed events are kept cannot be negative.",
    )
    _webhook_token_unique = models.Constraint(
        "UNIQUE(webhook_token)", "The webhook token must be unique."
    )
    _lookup_rate_positive = models.Constraint(
        "CHECK(lookup_rate > 0 AND lookup_burst > 0)",
        "The caller lookup rate and burst must be positive.",
    )

    @api.depends("webhook_token")
    def _compute_webhook_url(self):
        for provider in self:
            token = provider.webhook_token
            base_url = provider.get_base_url()
            provider.webhook_url = (
                f"{base_url}/callcenter/webhook/{token}" if token else False
            )
            provider.lookup_url = (
                f"{base_url}/callcenter/lookup/{token}" if token else False
            )

    @api.depends("code")
    def _compute_is_websocket(self):
        for provider in self:
            # The instance, not the class: a provider's settings decide
            # (Kazoo uses its Blackhole websocket only when set to).
            try:
                adapter = provider.sudo()._get_adapter() if provider.code else None
            except LookupError:
                adapter = None
            provider.is_websocket = bool(adapter and adapter.websocket)

    @api.depends_context("tz", "uid")
    def _compute_counts(self):
        calls = dict(
            self.env["crm.callcenter.call"]._read_group(
                [("provider_id", "in", self.ids)], ["provider_id"], ["__count"]
            )
        )
        lost_ends = dict(
            self.env["crm.callcenter.call"]._read_group(
                [
                    ("provider_id", "in", self.ids),
                    ("end_inferred", "=", True),
                    ("create_date", ">=", fields.Datetime.now() - timedelta(days=7)),
                ],
                ["provider_id"],
                ["__count"],
            )
        )
        health = self._read_event_health()
        for provider in self:
            figures = health.get(provider.id, {})
            provider.call_count = calls.get(provider, 0)
            provider.lost_end_count = lost_ends.get(provider, 0)
            provider.last_event_at = figures.get("last_event_at", False)
            provider.event_today_count = figures.get("today", 0)
            provider.event_hour_count = figures.get("hour", 0)
            provider.event_error_count = figures.get("errors", 0)
            provider.queued_count = figures.get("queued", 0)
            provider.queued_since = figures.get("queued_since", False)
            provider.queue_stalled = bool(
                provider.queued_since
                and provider.queued_since
                < fields.Datetime.now() - timedelta(minutes=QUEUE_STALLED_MINUTES)
            )

    def _read_event_health(self):
        """Inbox figures per provider id, in one query.

        Each figure is its own subquery so that PostgreSQL answers it from
        the (provider_id, received_at) and failed-event indexes instead of
        reading every event of a busy provider each time the form opens.
        The inbox is the managers' (the fields are restricted to them) and
        holds the events of the provider's company only.
        """
        ids = [provider_id for provider_id in self.ids if provider_id]
        if not ids:
            return {}
        now = fields.Datetime.now()
        tz = self.env.tz
        local_today = pytz.utc.localize(now).astimezone(tz).date()
        midnight = tz.localize(datetime.combine(local_today, datetime.min.time()))
        today = midnight.astimezone(pytz.utc).replace(tzinfo=None)
        Event = self.env["crm.callcenter.event"]
        Event.flush_model(["provider_id", "received_at", "state"])
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id,
                       (SELECT MAX(e.received_at) FROM crm_callcenter_event e
                         WHERE e.provider_id = p.id),
                       (SELECT COUNT(*) FROM crm_callcenter_event e
                         WHERE e.provider_id = p.id AND e.received_at >= %(today)s),
                       (SELECT COUNT(*) FROM crm_callcenter_event e
                         WHERE e.provider_id = p.id AND e.received_at >= %(hour)s),
                       (SELECT COUNT(*) FROM crm_callcenter_event e
                         WHERE e.provider_id = p.id AND e.state = 'error'),
                       queue.waiting, queue.since
                  FROM unnest(%(ids)s) AS p(id)
                 CROSS JOIN LATERAL (
                       SELECT COUNT(*) AS waiting, MIN(e.received_at) AS since
                         FROM crm_callcenter_event e
                        WHERE e.provider_id = p.id AND e.state = 'new') queue
                """,
                today=today,
                hour=now - timedelta(hours=1),
                ids=ids,
            )
        )
        return {
            row[0]: {
                "last_event_at": row[1],
                "today": row[2],
                "hour": row[3],
                "errors": row[4],
                "queued": row[5],
                "queued_since": row[6],
            }
            for row in self.env.cr.fetchall()
        }

    def action_regenerate_token(self):
        for provider in self:
            provider.webhook_token = _new_token()

    def action_regenerate_secret(self):
        for provider in self:
            provider.webhook_secret = signature.generate_secret()

    def action_view_calls(self):
        self.ensure_one()
        return self.env["crm.callcenter.call"]._action_for_domain(
            [("provider_id", "=", self.id)]
        )

    def action_view_lost_end_calls(self):
        self.ensure_one()
        return self.env["crm.callcenter.call"]._action_for_domain(
            [("provider_id", "=", self.id), ("end_inferred", "=", True)]
        )

    def action_view_error_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_callcenter.crm_callcenter_event_action"
        )
        action["domain"] = [("provider_id", "=", self.id), ("state", "=", "error")]
        action["context"] = {}
        return action

    def action_view_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_callcenter.crm_callcenter_event_action"
        )
        action["domain"] = [("provider_id", "=", self.id)]
        action["context"] = {"search_default_today": 1}
        return action

    def action_reprocess_errors(self):
        """Process the provider's failed events again (after a fix)."""
        self.ensure_one()
        events = self.env["crm.callcenter.event"].search(
            [("provider_id", "=", self.id), ("state", "=", "error")]
        )
        if not events:
            raise UserError(self.env._("This provider has no failed events."))
        return events.action_reprocess()

    def action_send_test_event(self):
        """Post a signed test request to the provider's own webhook URL.

        It goes through real HTTP, as the provider's requests do, so it
        checks the URL Odoo publishes, the proxy in front of it, the
        database selection and the signature. The request parses to no
        event: nothing but an *ignored* inbox row is recorded.
        """
        self.ensure_one()
        # Managers only: it writes the test result on the provider.
        self.check_access("write")
        return self._post_test_request(*self._prepare_test_request())

    def _prepare_test_request(self):
        """``(url, body, headers)`` of the adapter's sample request."""
        self.ensure_one()
        url = self.webhook_url
        try:
            body, headers = self._get_adapter().sample_request(
                self._get_adapter_config(), url, int(time.time())
            )
        except NotImplementedError as exc:
            raise UserError(
                self.env._("This provider type cannot send a test event.")
            ) from exc
        except signature.SignatureError as exc:
            raise UserError(
                self.env._("The test event cannot be signed: %(reason)s", reason=exc)
            ) from exc
        return url, body, headers

    def _post_test_request(self, url, body, headers):
        """POST the test request, remember and show what the URL answered."""
        self.ensure_one()
        timeout = self.request_timeout or DEFAULT_TIMEOUT
        # The webhook is served by another request of this server, which
        # reads the database itself: it must see what this one wrote.
        self.env.flush_all()
        try:
            response = requests.post(url, data=body, headers=headers, timeout=timeout)
        except requests.Timeout:
            ok = False
            result = self.env._(
                "No answer within %(seconds)s s. If Odoo runs with a single "
                "worker (--workers=1), it cannot answer a request to itself "
                "while it sends it: use at least 2 workers, or threaded mode "
                "(no --workers).",
                seconds=timeout,
            )
        except requests.RequestException as exc:
            ok = False
            result = self.env._("Connection failed: %(error)s", error=_short_error(exc))
        else:
            ok = 200 <= response.status_code < 300
            # Whatever answered (a proxy's error page...): stored as text.
            answer = without_nul(" ".join(response.text.split())[:TEST_RESULT_MAX])
            result = f"HTTP {response.status_code}: {answer}"
        self._store_test_result(ok, result)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Test event sent")
                if ok
                else self.env._("Test event failed"),
                "message": result,
                "type": "success" if ok else "danger",
                "sticky": not ok,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _store_test_result(self, ok, result):
        """Record the test outcome in its own short transaction.

        A refused test request increments ``rejected_count`` of this very
        row in the webhook's transaction, committed meanwhile; writing the
        row from this request's older snapshot would be a serialization
        failure, and Odoo's retry would send the test again.
        """
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "UPDATE crm_callcenter_provider"
                    " SET last_test_at = %s, last_test_ok = %s, last_test_result = %s"
                    " WHERE id = %s",
                    fields.Datetime.now(),
                    ok,
                    result,
                    self.id,
                )
            )
        self.invalidate_recordset(
            ["last_test_at", "last_test_ok", "last_test_result", "rejected_count"]
        )

    # ------------------------------------------------------------------
    # Webhook helpers (called by the controller as superuser)
    # ------------------------------------------------------------------

    @api.model
    def _get_by_webhook_token(self, token, field_names=None):
        """The active provider of a URL token (as superuser).

        ``field_names`` are loaded in the same query (the caller lookup reads
        its settings at once).
        """
        if not token or len(token) > 128 or NUL in token:
            # (No token has a NUL, which PostgreSQL cannot even compare.)
            return self.browse()
        if field_names:
            domain = [("webhook_token", "=", token), ("active", "=", True)]
            return self.sudo().search_fetch(domain, field_names, limit=1)
        # One statement finds the provider and reads its settings: the
        # common ones and its type's own (the signature check's), not the
        # other types'. Building the ORM query of every stored setting, then
        # fetching them, cost more than the lookup itself: 0.78 -> 0.47 ms
        # per request for the generic format, measured in-process.
        columns = self._intake_columns()
        self.flush_model(["webhook_token", *columns])
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM crm_callcenter_provider"
                " WHERE webhook_token = %s AND active LIMIT 1",
                SQL(", ").join(SQL.identifier(name) for name in columns),
                token,
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return self.browse()
        provider = self.sudo().browse(row[0])
        code = row[1]
        for name, value in zip(columns, row[1:], strict=True):
            field = self._fields[name]
            if field.prefetch is True or field.prefetch == code:
                # What the ORM's fetch does with the rows it reads (values
                # already in cache, e.g. written in this transaction, stay).
                field._insert_cache(provider, [value])
        return provider

    @api.model
    def _intake_columns(self):
        """Columns the webhook reads of its provider with the token's
        query, ``code`` first: the default prefetch group and every
        provider type's own settings (a few columns of one row; only the
        provider's type's are kept). Built once per registry."""
        cls = type(self)
        cached = cls.__dict__.get("_crm_callcenter_intake_columns")
        if cached is None:
            others = [
                name
                for name, field in self._fields.items()
                if field.store
                and field.column_type
                and not field.translate
                and name not in ("id", "code")
                and (field.prefetch is True or isinstance(field.prefetch, str))
            ]
            cached = ["code", *others]
            cls._crm_callcenter_intake_columns = cached
        return cached

    def _get_adapter(self):
        self.ensure_one()
        return get_adapter(self.code)

    def _can_originate(self):
        """Whether calls can be placed through this provider (click-to-call);
        provider types whose settings are needed for it check them too."""
        self.ensure_one()
        return self.active and self._get_adapter().can_originate

    def _get_adapter_config(self):
        """Settings and secrets the adapter needs (read as superuser)."""
        self.ensure_one()
        provider = self.sudo()
        # Each provider type adds its own settings in its model file.
        return {
            "webhook_secret": provider.webhook_secret,
            "timeout": provider.request_timeout or DEFAULT_TIMEOUT,
            "recording_folder": provider.recording_folder,
            "recording_base_url": provider.recording_base_url,
            "recording_username": provider.recording_username,
            "recording_password": provider.recording_password,
        }

    def _register_rejection(self):
        """Count a refused request without touching the row lock of others."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_callcenter_provider"
                " SET rejected_count = COALESCE(rejected_count, 0) + 1 WHERE id = %s",
                self.id,
            )
        )

    # ------------------------------------------------------------------
    # Caller lookup (PBX routing)
    # ------------------------------------------------------------------

    def _lookup_caller(self, number):
        """Who calls from ``number`` (E.164), for the PBX to route the call.

        The caller matching of calls picks the lead and contact (one indexed
        query); one more query reads the names, the responsible salesperson
        (the lead's, else the contact's; active users only), their presence
        and their extension on this provider (a provider-specific one before one for
        every provider), and the lead's priority. Whether the caller is a VIP
        costs a few small queries, and only when the company has VIP tags.
        Unknown numbers give ``{"found": False}`` only.
        """
        self.ensure_one()
        Call = self.env["crm.callcenter.call"]
        leads, partners = Call._find_candidates(number, self.company_id)
        lead, partner = Call._choose_candidates(leads, partners)
        if not lead and not partner:
            return {"found": False}
        self.env["crm.lead"].flush_model(
            ["name", "contact_name", "partner_name", "user_id", "priority"]
        )
        self.env["res.partner"].flush_model(["complete_name", "name", "user_id"])
        self.env["res.users"].flush_model(
            ["active", "partner_id", "callcenter_presence"]
        )
        self.env["crm.callcenter.extension"].flush_model(
            ["name", "user_id", "provider_id", "active"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT lead.name, lead.contact_name, lead.partner_name,
                       partner.complete_name, agent_partner.name, extension.name,
                       agent.callcenter_presence, lead.priority
                  FROM (SELECT %(lead)s::int AS lead_id,
                               %(partner)s::int AS partner_id) AS chosen
             LEFT JOIN crm_lead lead ON lead.id = chosen.lead_id
             LEFT JOIN res_partner partner ON partner.id = chosen.partner_id
             LEFT JOIN res_users lead_user
                       ON lead_user.id = lead.user_id AND lead_user.active
             LEFT JOIN res_users partner_user
                       ON partner_user.id = partner.user_id AND partner_user.active
             LEFT JOIN res_users agent
                       ON agent.id = COALESCE(lead_user.id, partner_user.id)
             LEFT JOIN res_partner agent_partner
                       ON agent_partner.id = agent.partner_id
             LEFT JOIN LATERAL (
                       SELECT ext.name FROM crm_callcenter_extension ext
                        WHERE ext.user_id = agent.id AND ext.active
                          AND (ext.provider_id = %(provider)s
                               OR ext.provider_id IS NULL)
                     ORDER BY ext.provider_id IS NULL, ext.id
                        LIMIT 1) AS extension ON TRUE
                """,
                lead=lead.id or None,
                partner=partner.id or None,
                provider=self.id,
            )
        )
        (
            lead_name,
            contact_name,
            company_name,
            partner_name,
            agent_name,
            extension,
            presence,
            priority,
        ) = self.env.cr.fetchone()
        return {
            "found": True,
            # The caller's name: their contact, else the name the lead gives
            # for the person or company, else the lead's title.
            "name": partner_name or contact_name or company_name or lead_name or "",
            "agent_extension": extension,
            "agent": agent_name,
            # Whether the PBX may put the caller through to them now.
            "agent_presence": presence,
            # The lead's priority (Odoo's stars, 0 to 3) and whether the
            # caller is a VIP: for the PBX to queue them first.
            "priority": int(priority or 0),
            "vip": (partner or lead.partner_id)._callcenter_is_vip(self.company_id),
            "lead_id": lead.id or None,
            "partner_id": partner.id or None,
        }

    def _next_callback_user(self, users):
        """Round-robin among ``users``: each missed call goes to the next one."""
        self.ensure_one()
        if not users:
            return users
        # UPDATE .. RETURNING: concurrent missed calls each get their own turn.
        self.env.cr.execute(
            SQL(
                "UPDATE crm_callcenter_provider"
                " SET callback_rr_index = COALESCE(callback_rr_index, 0) + 1"
                " WHERE id = %s RETURNING callback_rr_index",
                self.id,
            )
        )
        position = self.env.cr.fetchone()[0]
        self.invalidate_recordset(["callback_rr_index"])
        ordered = users.sorted("id")
        return ordered[(position - 1) % len(ordered)]
