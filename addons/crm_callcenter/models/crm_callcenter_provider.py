import logging
import secrets

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import signature
from ..tools.providers import DEFAULT_TIMEOUT, get_adapter

_logger = logging.getLogger(__name__)


def _new_token():
    return secrets.token_urlsafe(32)


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
    request_timeout = fields.Integer(
        "Request Timeout (s)",
        default=DEFAULT_TIMEOUT,
        help="How long to wait for the provider's API (click-to-call, "
        "dialer) before giving up with an error.",
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
    # Health figures read the inbox, which only managers may see.
    call_count = fields.Integer(
        compute="_compute_counts", groups="crm_callcenter.crm_callcenter_group_manager"
    )
    event_error_count = fields.Integer(
        compute="_compute_counts", groups="crm_callcenter.crm_callcenter_group_manager"
    )
    last_event_at = fields.Datetime(
        compute="_compute_counts", groups="crm_callcenter.crm_callcenter_group_manager"
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
    _webhook_token_unique = models.Constraint(
        "UNIQUE(webhook_token)", "The webhook token must be unique."
    )

    @api.depends("webhook_token")
    def _compute_webhook_url(self):
        for provider in self:
            provider.webhook_url = (
                f"{provider.get_base_url()}/callcenter/webhook/{provider.webhook_token}"
                if provider.webhook_token
                else False
            )

    def _compute_counts(self):
        calls = dict(
            self.env["crm.callcenter.call"]._read_group(
                [("provider_id", "in", self.ids)], ["provider_id"], ["__count"]
            )
        )
        events = self.env["crm.callcenter.event"]._read_group(
            [("provider_id", "in", self.ids)],
            ["provider_id"],
            ["received_at:max"],
        )
        last = dict(events)
        errors = dict(
            self.env["crm.callcenter.event"]._read_group(
                [("provider_id", "in", self.ids), ("state", "=", "error")],
                ["provider_id"],
                ["__count"],
            )
        )
        for provider in self:
            provider.call_count = calls.get(provider, 0)
            provider.event_error_count = errors.get(provider, 0)
            provider.last_event_at = last.get(provider, False)

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

    def action_view_error_events(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_callcenter.crm_callcenter_event_action"
        )
        action["domain"] = [("provider_id", "=", self.id), ("state", "=", "error")]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Webhook helpers (called by the controller as superuser)
    # ------------------------------------------------------------------

    @api.model
    def _get_by_webhook_token(self, token):
        if not token or len(token) > 128:
            return self.browse()
        return self.sudo().search(
            [("webhook_token", "=", token), ("active", "=", True)], limit=1
        )

    def _get_adapter(self):
        self.ensure_one()
        return get_adapter(self.code)

    def _get_adapter_config(self):
        """Settings and secrets the adapter needs (read as superuser)."""
        self.ensure_one()
        provider = self.sudo()
        # Each provider type adds its own settings in its model file.
        return {
            "webhook_secret": provider.webhook_secret,
            "timeout": provider.request_timeout or DEFAULT_TIMEOUT,
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
