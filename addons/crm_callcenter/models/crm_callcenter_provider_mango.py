from odoo import fields, models

from ..tools.providers.mango import DEFAULT_API_URL

# One file per provider type, each extending the provider model.
# pylint: disable=consider-merging-classes-inherited


class CrmCallcenterProvider(models.Model):
    _inherit = "crm.callcenter.provider"

    code = fields.Selection(
        selection_add=[("mango", "Mango Office")], ondelete={"mango": "set default"}
    )
    mango_api_key = fields.Char(
        "Mango API Key",
        groups="base.group_system",
        help="Unique code of your virtual PBX (vpbx_api_key), from Mango Office's "
        "API connector settings.",
        prefetch="mango",
    )
    mango_api_salt = fields.Char(
        "Mango API Salt",
        groups="base.group_system",
        help="Signing key from Mango Office's API connector settings: every "
        "request in both directions is signed with it.",
        prefetch="mango",
    )
    mango_api_url = fields.Char(
        "Mango API URL",
        default=DEFAULT_API_URL,
        help="Base URL of the Mango Office API (click-to-call).",
        prefetch="mango",
    )
    mango_line_number = fields.Char(
        "Mango Outgoing Line",
        help="Number (line) of your PBX that customers see when an agent calls "
        "from Odoo; empty: the employee's default line.",
        prefetch="mango",
    )

    def _get_adapter_config(self):
        config = super()._get_adapter_config()
        if self.code == "mango":
            provider = self.sudo()
            config.update(
                {
                    "mango_api_key": (provider.mango_api_key or "").strip(),
                    "mango_api_salt": (provider.mango_api_salt or "").strip(),
                    "mango_api_url": provider.mango_api_url or DEFAULT_API_URL,
                    "mango_line_number": (provider.mango_line_number or "").strip(),
                }
            )
        return config
