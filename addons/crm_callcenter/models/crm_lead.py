from odoo import models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "crm.callcenter.call.mixin"]
    _callcenter_call_field = "lead_id"
