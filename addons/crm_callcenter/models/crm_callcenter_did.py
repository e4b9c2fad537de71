from odoo import api, fields, models, tools

from ..tools.phone import normalize_number


class CrmCallcenterDid(models.Model):
    """A number customers call (DID), and where its calls belong in the CRM."""

    _name = "crm.callcenter.did"
    _description = "Call Center Line (DID)"
    _order = "provider_id, number"

    name = fields.Char(
        required=True, help="E.g. 'Hotline Hanoi' or 'Ad campaign line'."
    )
    number = fields.Char(
        required=True,
        help="The number as customers dial it; stored in international format.",
    )
    provider_id = fields.Many2one(
        "crm.callcenter.provider", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="provider_id.company_id", store=True)
    active = fields.Boolean(default=True)
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        help="Team of the calls and leads of this line (else the provider's).",
    )
    source_id = fields.Many2one("utm.source")
    opening_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Opening Hours",
        help="When this line's calls are answered, if not the provider's "
        "opening hours.",
    )
    medium_id = fields.Many2one("utm.medium")
    campaign_id = fields.Many2one("utm.campaign")

    _number_unique = models.Constraint(
        "UNIQUE(provider_id, number)", "This line is already configured."
    )

    @api.model
    def _normalize_vals(self, vals):
        if vals.get("number"):
            provider = self.env["crm.callcenter.provider"].browse(
                vals.get("provider_id") or self.provider_id.id
            )
            # Same normalization as the numbers of the calls, so they compare.
            vals["number"] = normalize_number(
                vals["number"],
                provider.default_country_id.code,
                provider.dialout_prefix,
            )
        return vals

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(
            [self._normalize_vals(dict(vals)) for vals in vals_list]
        )
        self.env.registry.clear_cache()  # _line_map
        return records

    def write(self, vals):
        if vals.get("number"):
            for did in self:
                super(CrmCallcenterDid, did).write(did._normalize_vals(dict(vals)))
        else:
            super().write(vals)
        self.env.registry.clear_cache()  # _line_map
        return True

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()  # _line_map
        return res

    @api.model
    def _find_line(self, provider, numbers):
        """``(did id, team id, opening hours id)`` of the first of
        ``numbers`` that is an active line of ``provider``, else
        ``(False, False, False)``."""
        lines = self._line_map(provider.id)
        for number in numbers:
            if number in lines:
                return lines[number]
        return False, False, False

    @api.model
    @tools.ormcache("provider_id")
    def _line_map(self, provider_id):
        """``{number: (did id, team id, opening hours id)}`` of a provider's
        lines, cached per worker (read by every new call; any change of a
        line clears it)."""
        lines = self.sudo().search([("provider_id", "=", provider_id)])
        return {
            line.number: (line.id, line.team_id.id, line.opening_calendar_id.id)
            for line in lines
        }
