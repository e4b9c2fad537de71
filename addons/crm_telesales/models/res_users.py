from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def _callcenter_update_presence(self, presence, wrapup_seconds=0, away_reason=None):
        res = super()._callcenter_update_presence(
            presence, wrapup_seconds, away_reason=away_reason
        )
        if presence == "available" and self:
            # A free agent: progressive and predictive campaigns may dial.
            self.env["crm.telesales.dialer"]._trigger()
        return res
