from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.providers.twilio import effective_url


# One file per provider type (its settings, view and adapter side by side).
class CrmCallcenterProvider(models.Model):
    _inherit = "crm.callcenter.provider"  # pylint: disable=consider-merging-classes-inherited

    code = fields.Selection(
        selection_add=[("twilio", "Twilio Voice")],
        ondelete={"twilio": "set default"},
    )
    twilio_account_sid = fields.Char(
        "Account SID",
        help="The account's SID (AC...), on the Twilio console's home page.",
        prefetch="twilio",
    )
    twilio_auth_token = fields.Char(
        "Auth Token",
        copy=False,
        groups="base.group_system",
        help="Signs Twilio's requests to Odoo and authenticates Odoo's calls "
        "to Twilio. After rotating it in the console, paste the new one here.",
        prefetch="twilio",
    )
    twilio_caller_id = fields.Char(
        "Twilio Caller ID",
        help="Twilio number (E.164, e.g. +14155550100) shown to customers "
        "called from Odoo; it also calls the agent first.",
        prefetch="twilio",
    )
    twilio_agent_endpoint = fields.Char(
        "Agent Endpoint (Twilio)",
        default="client:{extension}",
        help="How Twilio reaches an agent when they click to call: "
        "client:{extension} for a Twilio Voice SDK identity, "
        "sip:{extension}@example.sip.twilio.com for a SIP phone. "
        "{extension} is the agent's extension on this provider.",
        prefetch="twilio",
    )
    twilio_public_base_url = fields.Char(
        "Public Webhook Base URL",
        help="Scheme and host Twilio uses to reach Odoo (e.g. "
        "https://odoo.example.com), when it differs from the URL Odoo sees "
        "behind a reverse proxy that Odoo does not trust (no proxy_mode). "
        "Twilio signs the exact URL it calls: a wrong one refuses every "
        "request. Leave empty when Odoo runs with proxy_mode.",
        prefetch="twilio",
    )
    twilio_webhook_url = fields.Char(
        "Twilio Status Callback URL",
        compute="_compute_twilio_webhook_url",
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="Paste it as the status callback of the number and of the "
        "<Dial> nouns of your TwiML.",
        prefetch="twilio",
    )

    @api.depends("webhook_url", "twilio_public_base_url")
    def _compute_twilio_webhook_url(self):
        for provider in self:
            url = provider.webhook_url
            provider.twilio_webhook_url = url and effective_url(
                url, provider.twilio_public_base_url
            )

    @api.constrains("code", "twilio_agent_endpoint", "twilio_public_base_url")
    def _check_twilio_settings(self):
        for provider in self.filtered(lambda p: p.code == "twilio"):
            pattern = provider.twilio_agent_endpoint
            if pattern and "{extension}" not in pattern:
                raise ValidationError(
                    self.env._(
                        "The agent endpoint pattern must contain {extension}, "
                        "e.g. client:{extension}."
                    )
                )
            base = (provider.twilio_public_base_url or "").strip()
            if base and not base.startswith(("https://", "http://")):
                raise ValidationError(
                    self.env._(
                        "The public webhook base URL must start with https:// "
                        "(or http://)."
                    )
                )

    def _get_adapter_config(self):
        config = super()._get_adapter_config()
        if self.code == "twilio":
            provider = self.sudo()
            config.update(
                {
                    "twilio_account_sid": (provider.twilio_account_sid or "").strip(),
                    "twilio_auth_token": (provider.twilio_auth_token or "").strip(),
                    "twilio_caller_id": (provider.twilio_caller_id or "").strip(),
                    "twilio_agent_endpoint": (
                        provider.twilio_agent_endpoint or ""
                    ).strip(),
                    "twilio_public_base_url": (
                        provider.twilio_public_base_url or ""
                    ).strip(),
                    "twilio_status_callback_url": provider.twilio_webhook_url,
                }
            )
        return config
