from odoo import models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "crm.callcenter.call.mixin"]
    _callcenter_call_field = "partner_id"
