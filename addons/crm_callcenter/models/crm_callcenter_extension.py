from odoo import api, fields, models


class CrmCallcenterExtension(models.Model):
    _name = "crm.callcenter.extension"
    _description = "Call Center Extension"
    _order = "name, id"

    name = fields.Char(
        "Extension",
        required=True,
        help="The extension (or SIP user / agent id) exactly as the provider "
        "sends it in its events.",
    )
    provider_id = fields.Many2one(
        "crm.callcenter.provider",
        ondelete="cascade",
        index=True,
        help="Leave empty to use this extension with every provider.",
    )
    user_id = fields.Many2one(
        "res.users", "Agent", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="provider_id.company_id", store=True, readonly=True
    )
    active = fields.Boolean(default=True)
    is_preferred = fields.Boolean(
        "Preferred for Calls",
        help="When the agent has extensions on several providers that can place "
        "calls, calls placed from Odoo (click-to-call) use this one; otherwise "
        "the first provider in the list.",
    )

    _name_provider_unique = models.UniqueIndex(
        "(provider_id, name) WHERE provider_id IS NOT NULL",
        "An extension can be used only once per provider.",
    )
    _name_any_provider_unique = models.UniqueIndex(
        "(name) WHERE provider_id IS NULL",
        "An extension for every provider can be defined only once.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name"):
                vals["name"] = vals["name"].strip()
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("name"):
            vals["name"] = vals["name"].strip()
        return super().write(vals)

    @api.model
    def _find_users(self, provider, extensions):
        """Map extension names to users: provider-specific entries win."""
        extensions = {ext for ext in extensions if ext}
        if not extensions:
            return {}
        records = self.sudo().search(
            [
                ("name", "in", list(extensions)),
                ("provider_id", "in", [provider.id, False]),
            ]
        )
        result = {}
        for record in records.sorted(lambda r: bool(r.provider_id)):
            result[record.name] = record.user_id
        return result
