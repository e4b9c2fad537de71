from odoo import fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    callcenter_extension_ids = fields.One2many(
        "crm.callcenter.extension", "user_id", string="Call Center Extensions"
    )
