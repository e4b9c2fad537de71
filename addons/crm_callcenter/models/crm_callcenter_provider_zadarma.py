from odoo import fields, models
from odoo.addons.base.models.res_partner import _tz_get

from ..tools.providers.zadarma import DEFAULT_API_URL


def _default_zadarma_timezone(provider):
    env = provider.env
    return env.company.partner_id.tz or env.user.tz or "UTC"


# One file per provider type (its settings, view and adapter side by side).
class CrmCallcenterProvider(models.Model):
    _inherit = "crm.callcenter.provider"  # pylint: disable=consider-merging-classes-inherited

    code = fields.Selection(
        selection_add=[("zadarma", "Zadarma")],
        ondelete={"zadarma": "set default"},
    )
    zadarma_api_key = fields.Char(
        "Zadarma API Key",
        help="Key of the Zadarma API (personal account: Settings → "
        "Integrations and API).",
        prefetch="zadarma",
    )
    zadarma_api_secret = fields.Char(
        "Zadarma API Secret",
        copy=False,
        groups="base.group_system",
        help="Secret of the Zadarma API: Zadarma signs its notifications with "
        "it and Odoo signs its call-back requests.",
        prefetch="zadarma",
    )
    zadarma_timezone = fields.Selection(
        _tz_get,
        "Zadarma Account Time Zone",
        default=_default_zadarma_timezone,
        help="Time zone set in the Zadarma account: the times of its "
        "notifications (call_start) are in it. A wrong zone shifts every "
        "call's start time.",
        prefetch="zadarma",
    )
    zadarma_api_url = fields.Char(
        "Zadarma API URL",
        default=DEFAULT_API_URL,
        groups="base.group_system",
        help="Address of the API; change it for a white label of Zadarma "
        "(e.g. https://api.novofon.com).",
        prefetch="zadarma",
    )

    def _get_adapter(self):
        adapter = super()._get_adapter()
        if self.code == "zadarma":
            adapter.timezone = self.sudo().zadarma_timezone or "UTC"
        return adapter

    def _get_adapter_config(self):
        config = super()._get_adapter_config()
        if self.code == "zadarma":
            provider = self.sudo()
            config.update(
                {
                    "zadarma_api_key": (provider.zadarma_api_key or "").strip(),
                    "zadarma_api_secret": (provider.zadarma_api_secret or "").strip(),
                    "zadarma_api_url": (provider.zadarma_api_url or "").strip(),
                }
            )
        return config
