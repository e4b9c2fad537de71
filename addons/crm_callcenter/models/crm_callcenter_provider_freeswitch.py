from odoo import api, fields, models


# One file per provider type (settings, secrets and adapter config side by
# side), as every provider extends the same model.
class CrmCallcenterProvider(models.Model):
    # pylint: disable=consider-merging-classes-inherited
    _inherit = "crm.callcenter.provider"

    code = fields.Selection(
        selection_add=[("freeswitch", "FreeSWITCH (JSON CDR)")],
        ondelete={"freeswitch": "set default"},
    )
    freeswitch_username = fields.Char(
        "HTTP User",
        groups="base.group_system",
        help="Optional: the user of mod_json_cdr's cred parameter (HTTP basic "
        "authentication). When set, CDRs without it are refused.",
        prefetch="freeswitch",
    )
    freeswitch_password = fields.Char(
        "HTTP Password",
        groups="base.group_system",
        help="Optional: the password of mod_json_cdr's cred parameter.",
        prefetch="freeswitch",
    )
    freeswitch_config_snippet = fields.Text(
        "json_cdr.conf.xml Settings",
        compute="_compute_freeswitch_config_snippet",
        groups="crm_callcenter.crm_callcenter_group_manager",
        help="Parameters to put in the settings of json_cdr.conf.xml.",
        prefetch="freeswitch",
    )

    @api.depends("webhook_url", "code")
    def _compute_freeswitch_config_snippet(self):
        for provider in self:
            if provider.code != "freeswitch" or not provider.webhook_url:
                provider.freeswitch_config_snippet = False
                continue
            lines = [
                f'<param name="url" value="{provider.webhook_url}"/>',
                '<param name="encode" value="false"/>',
                '<param name="encode-values" value="true"/>',
                '<param name="log-b-leg" value="true"/>',
                '<param name="retries" value="3"/>',
                '<param name="delay" value="5"/>',
                '<param name="auth-scheme" value="basic"/>',
                '<param name="cred" value="USER:PASSWORD"/>',
            ]
            provider.freeswitch_config_snippet = "\n".join(lines)

    def _get_adapter_config(self):
        config = super()._get_adapter_config()
        if self.code == "freeswitch":
            provider = self.sudo()
            config.update(
                {
                    "freeswitch_username": provider.freeswitch_username,
                    "freeswitch_password": provider.freeswitch_password,
                }
            )
        return config
