import json

from odoo import api, fields, models

from ..tools.providers.kazoo import HOOK_EVENTS, TOKEN_FIELD


# One file per provider type (settings, secrets and adapter config side by
# side), as every provider extends the same model.
class CrmCallcenterProvider(models.Model):
    # pylint: disable=consider-merging-classes-inherited
    _inherit = "crm.callcenter.provider"

    code = fields.Selection(
        selection_add=[("kazoo", "Kazoo (2600Hz)")],
        ondelete={"kazoo": "set default"},
    )
    kazoo_api_url = fields.Char(
        "Kazoo API URL",
        help="Base URL of Kazoo's REST API (Crossbar), e.g. "
        "https://kazoo.example.com:8443",
        prefetch="kazoo",
    )
    kazoo_account_id = fields.Char(
        "Kazoo Account ID",
        help="The 32-character id of the Kazoo account whose calls Odoo receives.",
        prefetch="kazoo",
    )
    kazoo_api_key = fields.Char(
        "Kazoo API Key",
        groups="base.group_system",
        help="The account's API key: Odoo exchanges it for an auth token to "
        "place calls (Quickcall) and to subscribe to Blackhole.",
        prefetch="kazoo",
    )
    kazoo_custom_data = fields.Char(
        "Webhook Shared Value",
        groups="base.group_system",
        help="Optional secret Kazoo sends in each webhook (the webhook's "
        "custom_data odoo_token). When set, webhooks without it are refused.",
        prefetch="kazoo",
    )
    kazoo_blackhole_enabled = fields.Boolean(
        "Use Blackhole Websocket",
        help="Receive call events over Kazoo's Blackhole websocket (held by "
        "odoo-bin callcenter_listen) in addition to, or instead of, webhooks.",
        prefetch="kazoo",
    )
    kazoo_blackhole_url = fields.Char(
        "Blackhole URL",
        help="Websocket address of Blackhole, e.g. wss://kazoo.example.com:5555",
        prefetch="kazoo",
    )
    kazoo_auto_answer = fields.Boolean(
        "Auto-answer Agent Phone",
        help="On click-to-call, ask the agent's phone to answer by itself "
        "(when the phone supports it) before the customer is dialed.",
        prefetch="kazoo",
    )
    kazoo_webhook_setup = fields.Text(
        "Kazoo Webhook Definition",
        compute="_compute_kazoo_webhook_setup",
        groups="base.group_system",
        help="Body of PUT /v2/accounts/{account id}/webhooks, one per event: "
        "channel_create, channel_answer and channel_destroy.",
        prefetch="kazoo",
    )

    @api.depends("webhook_url", "kazoo_custom_data", "code")
    def _compute_kazoo_webhook_setup(self):
        for provider in self:
            if provider.code != "kazoo" or not provider.webhook_url:
                provider.kazoo_webhook_setup = False
                continue
            hooks = []
            for hook in HOOK_EVENTS:
                data = {
                    "name": f"Odoo CRM ({hook})",
                    "uri": provider.webhook_url,
                    "hook": hook,
                    "http_verb": "post",
                    "format": "json",
                    "retries": 3,
                    "enabled": True,
                }
                if provider.kazoo_custom_data:
                    data["custom_data"] = {TOKEN_FIELD: provider.kazoo_custom_data}
                hooks.append(json.dumps({"data": data}, indent=2))
            provider.kazoo_webhook_setup = "\n\n".join(hooks)

    def _get_adapter(self):
        adapter = super()._get_adapter()
        if self.code == "kazoo":
            # Only providers set to use Blackhole get a websocket connection.
            adapter.websocket = bool(
                self.kazoo_blackhole_enabled and self.kazoo_blackhole_url
            )
        return adapter

    def _get_adapter_config(self):
        config = super()._get_adapter_config()
        if self.code == "kazoo":
            provider = self.sudo()
            config.update(
                {
                    "kazoo_api_url": provider.kazoo_api_url,
                    "kazoo_account_id": provider.kazoo_account_id,
                    "kazoo_api_key": provider.kazoo_api_key,
                    "kazoo_custom_data": provider.kazoo_custom_data,
                    "kazoo_blackhole_url": provider.kazoo_blackhole_enabled
                    and provider.kazoo_blackhole_url,
                    "kazoo_auto_answer": provider.kazoo_auto_answer,
                }
            )
        return config
