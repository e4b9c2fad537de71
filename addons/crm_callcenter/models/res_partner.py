from odoo import fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "crm.callcenter.call.mixin"]
    _callcenter_call_field = "partner_id"

    # Core does not index it on partners; every incoming call looks it up.
    phone_sanitized = fields.Char(index="btree_not_null")
