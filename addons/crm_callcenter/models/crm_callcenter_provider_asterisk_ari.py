from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.providers.asterisk_ari import AsteriskAriAdapter


class CrmCallcenterProvider(models.Model):
    _inherit = "crm.callcenter.provider"

    code = fields.Selection(
        selection_add=[("asterisk_ari", "Asterisk (ARI)")],
        ondelete={"asterisk_ari": "set default"},
    )
    asterisk_ari_url = fields.Char(
        "ARI URL",
        help="Asterisk's HTTP server as Odoo reaches it, e.g. "
        "http://pbx.example.com:8088 (https:// for TLS; the event websocket "
        "uses ws:// or wss:// accordingly).",
        prefetch="asterisk_ari",
    )
    asterisk_ari_user = fields.Char(
        "ARI User",
        help="A user of Asterisk's ari.conf (type = user).",
        prefetch="asterisk_ari",
    )
    asterisk_ari_password = fields.Char(
        "ARI Password", groups="base.group_system", copy=False, prefetch="asterisk_ari"
    )
    asterisk_ari_auth = fields.Selection(
        [("basic", "HTTP Basic"), ("api_key", "api_key parameter")],
        string="ARI Authentication",
        default="basic",
        help="HTTP Basic sends the user and password in a header; the api_key "
        "parameter puts them in the URL, for proxies that drop the header.",
        prefetch="asterisk_ari",
    )
    asterisk_ari_app = fields.Char(
        "ARI Application",
        default="odoo",
        help="Name under which Odoo subscribes to Asterisk's events. Only one "
        "connection per name: use a name no other program uses.",
        prefetch="asterisk_ari",
    )
    asterisk_ari_trunks = fields.Char(
        "Trunk Endpoints",
        help="Endpoints of the customers' calls (your SIP trunks), separated "
        "by commas; * matches anything: e.g. trunk-*, PJSIP/sipnet. A call "
        "that starts on a trunk is inbound; a call that reaches a trunk from "
        "a phone is outbound; calls between phones are not recorded.",
        prefetch="asterisk_ari",
    )
    asterisk_ari_context = fields.Char(
        "Click-to-call Context",
        default="from-internal",
        help="Dialplan context in which the number is dialled once the "
        "agent's phone answers.",
        prefetch="asterisk_ari",
    )
    asterisk_ari_endpoint_pattern = fields.Char(
        "Agent Endpoint Pattern",
        default="PJSIP/{extension}",
        help="The agent's phone Asterisk rings first; {extension} is the "
        "agent's extension (e.g. SIP/{extension}, Local/{extension}@from-internal).",
        prefetch="asterisk_ari",
    )
    asterisk_ari_extension_pattern = fields.Char(
        "Dialled Number Pattern",
        default="{number}",
        help="What is dialled in the context: {number} is the customer's "
        "number in international format without + (79161234567), {e164} "
        "with it; add the dial-out prefix the dialplan expects (9{number}).",
        prefetch="asterisk_ari",
    )
    asterisk_ari_events_url = fields.Char(
        "Event Stream URL",
        compute="_compute_asterisk_ari_events_url",
        help="The websocket the listener (odoo-bin callcenter_listen) opens.",
        prefetch="asterisk_ari",
    )

    @api.depends("code", "asterisk_ari_url", "asterisk_ari_app")
    def _compute_asterisk_ari_events_url(self):
        adapter = AsteriskAriAdapter()
        for provider in self:
            url = False
            if provider.code == "asterisk_ari" and provider.asterisk_ari_url:
                try:
                    url = adapter.ws_url(
                        {
                            "ari_url": provider.asterisk_ari_url,
                            "ari_app": provider.asterisk_ari_app,
                        }
                    )
                except ValueError:
                    url = False
            provider.asterisk_ari_events_url = url

    @api.constrains("code", "asterisk_ari_url")
    def _check_asterisk_ari_url(self):
        for provider in self.filtered(
            lambda p: p.code == "asterisk_ari" and p.asterisk_ari_url
        ):
            try:
                AsteriskAriAdapter._base({"ari_url": provider.asterisk_ari_url})
            except ValueError as exc:
                raise ValidationError(
                    self.env._(
                        "The ARI URL must look like http://pbx.example.com:8088."
                    )
                ) from exc

    def _get_adapter(self):
        adapter = super()._get_adapter()
        if self.code == "asterisk_ari":
            # Parsing needs the trunks, also when the retry cron parses a
            # stored message again.
            adapter.set_trunks(self.asterisk_ari_trunks)
        return adapter

    def _get_adapter_config(self):
        config = super()._get_adapter_config()
        if self.code == "asterisk_ari":
            # Secrets are read as superuser: the listener and the agent's
            # click-to-call need them, the users may not see them.
            provider = self.sudo()
            config.update(
                {
                    "ari_url": provider.asterisk_ari_url,
                    "ari_user": provider.asterisk_ari_user,
                    "ari_password": provider.asterisk_ari_password,
                    "ari_auth": provider.asterisk_ari_auth,
                    "ari_app": provider.asterisk_ari_app,
                    "ari_trunks": provider.asterisk_ari_trunks,
                    "ari_context": provider.asterisk_ari_context,
                    "ari_endpoint_pattern": provider.asterisk_ari_endpoint_pattern,
                    "ari_extension_pattern": provider.asterisk_ari_extension_pattern,
                }
            )
        return config
