from odoo import fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "crm.callcenter.call.mixin"]
    _callcenter_call_field = "partner_id"

    # Core does not index it on partners; every incoming call looks it up.
    phone_sanitized = fields.Char(index="btree_not_null")

    # The caller lookup's fallback reads only the rows without a sanitized
    # number; this keeps that to an index scan of those few rows.
    _callcenter_unsanitized_phone_idx = models.Index(
        "(id) WHERE phone_sanitized IS NULL AND phone IS NOT NULL"
    )

    def _callcenter_is_vip(self, company):
        """Whether this contact, or its company, has one of ``company``'s
        VIP tags (no query when the company has none)."""
        tags = self.env["res.company"]._callcenter_vip_tags(company.id)
        if not tags or not self:
            return False
        partner = self.sudo()
        categories = partner.category_id | partner.commercial_partner_id.category_id
        return not tags.isdisjoint(categories.ids)
