from odoo import api, fields, models, tools


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
        records = super().create(vals_list)
        self.env.registry.clear_cache()  # _extension_user_ids
        return records

    def write(self, vals):
        if vals.get("name"):
            vals["name"] = vals["name"].strip()
        res = super().write(vals)
        self.env.registry.clear_cache()  # _extension_user_ids
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()  # _extension_user_ids
        return res

    @api.model
    def _find_users(self, provider, extensions):
        """Map extension names to users: provider-specific entries win."""
        mapping = self._extension_user_ids(provider.id)
        Users = self.env["res.users"].sudo()
        return {
            extension: Users.browse(mapping[extension])
            for extension in extensions
            if extension in mapping
        }

    @api.model
    @tools.ormcache("provider_id")
    def _extension_user_ids(self, provider_id):
        """``{extension: user id}`` of a provider, cached per worker: every
        call event asks it, extensions rarely change (any change clears it).
        """
        records = self.sudo().search([("provider_id", "in", [provider_id, False])])
        result = {}
        # Provider-specific extensions override the ones for every provider.
        for record in records.sorted(lambda r: bool(r.provider_id)):
            result[record.name] = record.user_id.id
        return result
