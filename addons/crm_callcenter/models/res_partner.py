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
