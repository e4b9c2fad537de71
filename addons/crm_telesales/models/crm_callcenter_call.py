from odoo import fields, models


class CrmCallcenterCall(models.Model):
    _inherit = "crm.callcenter.call"

    telesales_target_id = fields.Many2one(
        "crm.telesales.target", index="btree_not_null"
    )
    telesales_campaign_id = fields.Many2one(
        related="telesales_target_id.campaign_id",
        string="Telesales Campaign",
        store=True,
        index="btree_not_null",
    )

    def _after_fold(self, provider, before):
        res = super()._after_fold(provider, before)
        if (
            self.telesales_target_id
            and self.state == "ended"
            and before["state"] != "ended"
        ):
            # The target's lock and retry rules live on the target.
            self.telesales_target_id.sudo()._register_call_outcome(self)
        return res
