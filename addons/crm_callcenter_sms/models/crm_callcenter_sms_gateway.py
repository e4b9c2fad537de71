import logging
import secrets
from datetime import timedelta

import requests

from odoo import api, fields, models
from odoo.addons.crm_callcenter.tools import signature
from odoo.addons.crm_callcenter.tools.storable import NUL, without_nul
from odoo.exceptions import ValidationError

from ..tools import common, http_gateway, smsc

_logger = logging.getLogger(__name__)

# How long delivery reports of a message are polled for.
POLL_DAYS = 3


def _new_token():
    return secrets.token_urlsafe(32)


class CrmCallcenterSmsGateway(models.Model):
    _name = "crm.callcenter.sms.gateway"
    _description = "SMS Gateway"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    gateway_type = fields.Selection(
        [("smsc", "SMSC.ru"), ("http", "Generic HTTP")],
        required=True,
        default="smsc",
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
        help="Currency of the costs the gateway reports.",
    )
    timeout = fields.Integer(
        "Timeout (s)", default=10, help="Seconds to wait for the gateway's answer."
    )
    callback_token = fields.Char(
        copy=False,
        default=lambda self: _new_token(),
        groups="base.group_system",
        help="Secret part of the delivery report URL.",
    )
    callback_url = fields.Char(
        "Delivery Report URL",
        compute="_compute_callback_url",
        groups="base.group_system",
        help="Paste this URL in the gateway's settings.",
    )
    # SMSC.ru
    smsc_base_url = fields.Char(
        "SMSC Server",
        default=smsc.DEFAULT_BASE_URL,
        help="https://smsc.ru, or https://smsc.kz, https://smscentre.com...",
    )
    smsc_login = fields.Char("SMSC Login", groups="base.group_system")
    smsc_password = fields.Char("SMSC Password", groups="base.group_system")
    smsc_api_key = fields.Char(
        "SMSC API Key",
        groups="base.group_system",
        help="Used instead of the login and password when set.",
    )
    sender = fields.Char(
        "Sender Name", help="Sender ID approved by the gateway; empty for its default."
    )
    smsc_charset = fields.Selection(
        [("utf-8", "UTF-8"), ("windows-1251", "Windows-1251"), ("koi8-r", "KOI8-R")],
        "SMSC Charset",
        default="utf-8",
    )
    smsc_cb_id_field = fields.Char(
        "Callback Id Field", default="id", help="Field of the message id."
    )
    smsc_cb_status_field = fields.Char(
        "Callback Status Field", default="status", help="Field of the status code."
    )
    smsc_cb_error_field = fields.Char(
        "Callback Error Field", default="err", help="Field of the error code."
    )
    # Generic HTTP
    http_url = fields.Char("Send URL")
    http_method = fields.Selection(
        [("POST", "POST"), ("PUT", "PUT"), ("GET", "GET")],
        "HTTP Method",
        default="POST",
    )
    http_auth_header = fields.Char(
        "Auth Header", default="Authorization", help="Header carrying the secret."
    )
    http_auth_value = fields.Char(
        "Auth Header Value",
        groups="base.group_system",
        help="E.g. 'Bearer <token>'.",
    )
    http_body_template = fields.Text(
        "Body Template",
        default=http_gateway.DEFAULT_BODY_TEMPLATE,
        help="JSON; placeholders {{number}}, {{body}}, {{sender}}, {{reference}}.",
    )
    http_id_path = fields.Char(
        "Message Id Path", default="id", help="Dotted path in the JSON answer."
    )
    http_error_path = fields.Char("Error Path", default="error")
    http_cost_path = fields.Char("Cost Path")
    http_parts_path = fields.Char("Parts Path")
    http_webhook_secret = fields.Char(
        "Delivery Report Secret",
        copy=False,
        default=lambda self: signature.generate_secret(),
        groups="base.group_system",
        help="Standard Webhooks secret (whsec_...) the gateway signs its "
        "delivery reports with.",
    )

    _callback_token_unique = models.Constraint(
        "UNIQUE(callback_token)", "The delivery report token must be unique."
    )

    @api.depends("callback_token", "gateway_type")
    def _compute_callback_url(self):
        for gateway in self:
            path = "smsc" if gateway.gateway_type == "smsc" else "webhook"
            gateway.callback_url = (
                f"{gateway.get_base_url()}/crm_callcenter_sms/{path}/"
                f"{gateway.callback_token}"
                if gateway.callback_token
                else False
            )

    @api.constrains("http_body_template", "gateway_type")
    def _check_http_body_template(self):
        for gateway in self.filtered(lambda g: g.gateway_type == "http"):
            try:
                http_gateway.check_template(gateway.http_body_template)
            except http_gateway.TemplateError as exc:
                raise ValidationError(
                    self.env._(
                        "The body template is not valid JSON: %(error)s", error=exc
                    )
                ) from exc

    def action_regenerate_callback_token(self):
        self.sudo().callback_token = _new_token()

    # ------------------------------------------------------------------
    # Clients
    # ------------------------------------------------------------------

    def _get_client(self, session=None):
        self.ensure_one()
        gateway = self.sudo()
        if gateway.gateway_type == "smsc":
            return smsc.SmscClient(
                {
                    "base_url": gateway.smsc_base_url,
                    "login": gateway.smsc_login,
                    "password": gateway.smsc_password,
                    "api_key": gateway.smsc_api_key,
                    "sender": gateway.sender,
                    "charset": gateway.smsc_charset,
                    "timeout": gateway.timeout,
                },
                session,
            )
        return http_gateway.HttpGatewayClient(
            {
                "url": gateway.http_url,
                "method": gateway.http_method,
                "auth_header": gateway.http_auth_header,
                "auth_value": gateway.http_auth_value,
                "body_template": gateway.http_body_template,
                "sender": gateway.sender,
                "id_path": gateway.http_id_path,
                "error_path": gateway.http_error_path,
                "cost_path": gateway.http_cost_path,
                "parts_path": gateway.http_parts_path,
                "timeout": gateway.timeout,
            },
            session,
        )

    def _send_one(self, number, body, reference, session=None):
        self.ensure_one()
        if self.gateway_type == "http" and not self.http_url:
            return common.GatewayResult(
                False, error=common.UNKNOWN, reason="the gateway has no send URL"
            )
        try:
            return self._get_client(session).send(number, body, reference)
        except Exception as exc:
            _logger.exception("SMS gateway %s failed to send", self.id)
            return common.GatewayResult(
                False, error=common.SERVER_ERROR, reason=type(exc).__name__
            )

    # ------------------------------------------------------------------
    # Sending (called by SmsApiCallcenter)
    # ------------------------------------------------------------------

    @api.model
    def _send_batch(self, company, messages):
        """Send core ``sms`` messages through the company's gateways.

        Each number gets a log (found by SMS uuid, or created); a transient
        failure of the primary gateway is retried once on the backup.
        """
        company = company.sudo()
        primary = company.crm_callcenter_sms_gateway_id
        backup = company.crm_callcenter_sms_backup_gateway_id
        if backup == primary:
            backup = self.browse()
        Log = self.env["crm.callcenter.sms.log"].sudo()
        uuids = [n["uuid"] for m in messages for n in m.get("numbers") or []]
        logs = Log._for_sms_uuids(uuids, company)
        session = requests.Session()
        results = []
        for message in messages:
            body = message.get("content") or ""
            for number_info in message.get("numbers") or []:
                uuid, number = number_info["uuid"], number_info["number"]
                log = logs.get(uuid) or Log.create(
                    {"company_id": company.id, "sms_uuid": uuid, "number": number}
                )
                if not primary:
                    result = common.GatewayResult(
                        False,
                        error=common.BAD_ACCOUNT,
                        reason=self.env._("No SMS gateway is configured."),
                    )
                    used, failed_first = primary, primary
                else:
                    used, failed_first = primary, self.browse()
                    result = primary._send_one(number, body, log.id, session)
                    if not result.ok and result.transient and backup:
                        _logger.info(
                            "SMS %s: gateway %s failed (%s), trying backup %s",
                            log.id,
                            primary.id,
                            result.reason,
                            backup.id,
                        )
                        failed_first, used = primary, backup
                        result = backup._send_one(number, body, log.id, session)
                log._record_send(used, result, body, failed_first)
                results.append(
                    {
                        "uuid": uuid,
                        "state": "success" if result.ok else result.error,
                        "failure_reason": False if result.ok else result.reason,
                    }
                )
        return results

    # ------------------------------------------------------------------
    # Delivery reports
    # ------------------------------------------------------------------

    @api.model
    def _get_by_callback_token(self, token, gateway_type):
        if not token or NUL in token:
            # (No token has a NUL, which PostgreSQL cannot even compare.)
            return self.browse()
        # Public route: the token is the credential, searched exactly.
        return self.sudo().search(
            [("callback_token", "=", token), ("gateway_type", "=", gateway_type)],
            limit=1,
        )

    def _find_log(self, message_id):
        self.ensure_one()
        return (
            self.env["crm.callcenter.sms.log"]
            .sudo()
            .search(
                [
                    ("gateway_id", "=", self.id),
                    # A gateway's id is stored as our text rules store it.
                    ("provider_message_id", "=", without_nul(message_id)),
                ],
                limit=1,
            )
        )

    @api.model
    def _cron_poll_status(self):
        count = self._poll_status()
        self.env["ir.cron"]._commit_progress(count)

    @api.model
    def _poll_status(self, limit=200):
        """Ask SMSC for the status of sent messages without a report yet."""
        now = fields.Datetime.now()
        logs = (
            self.env["crm.callcenter.sms.log"]
            .sudo()
            .search(
                [
                    ("state", "=", "sent"),
                    ("gateway_id.gateway_type", "=", "smsc"),
                    ("provider_message_id", "!=", False),
                    ("sent_date", ">=", now - timedelta(days=POLL_DAYS)),
                    ("sent_date", "<=", now - timedelta(minutes=2)),
                ],
                order="polled_at asc nulls first, id",
                limit=limit,
            )
        )
        session = requests.Session()
        for gateway, gateway_logs in logs.grouped("gateway_id").items():
            client = gateway._get_client(session)
            for log in gateway_logs:
                status = client.status(log.number.lstrip("+"), log.provider_message_id)
                log.polled_at = now
                if status:
                    log._apply_status(status)
        return len(logs)
