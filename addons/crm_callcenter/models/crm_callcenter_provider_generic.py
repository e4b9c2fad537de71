from odoo import fields, models


class CrmCallcenterProvider(models.Model):
    _inherit = "crm.callcenter.provider"  # pylint: disable=consider-merging-classes-inherited

    generic_originate_url = fields.Char(
        "Originate URL",
        help="Click-to-call: Odoo posts the agent's extension and the number to "
        "this URL of your contact center, signed with the signing secret. "
        "Leave empty if the center cannot place calls.",
        prefetch="generic",
    )

    def _can_originate(self):
        self.ensure_one()
        if self.code == "generic" and not self.generic_originate_url:
            return False
        return super()._can_originate()

    def _get_adapter_config(self):
        config = super()._get_adapter_config()
        if self.code == "generic":
            config["originate_url"] = self.sudo().generic_originate_url or False
        return config
