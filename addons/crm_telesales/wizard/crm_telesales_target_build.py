from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain
from odoo.tools.safe_eval import safe_eval

SOURCES = [("res.partner", "Contacts"), ("crm.lead", "Leads/Opportunities")]
# Records read per query when a domain selects many.
CHUNK = 1000


class CrmTelesalesTargetBuild(models.TransientModel):
    """Add the contacts or leads a filter selects as targets of a campaign."""

    _name = "crm.telesales.target.build"
    _description = "Add Telesales Targets from Contacts or Leads"

    campaign_id = fields.Many2one("crm.telesales.campaign", required=True)
    source = fields.Selection(
        SOURCES, string="Add", required=True, default="res.partner"
    )
    partner_domain = fields.Char("Contacts Filter", default="[]")
    lead_domain = fields.Char("Leads Filter", default="[]")
    priority = fields.Integer(help="Higher first.")
    record_count = fields.Integer("Matching Records", compute="_compute_record_count")

    @api.depends("source", "partner_domain", "lead_domain")
    def _compute_record_count(self):
        for wizard in self:
            wizard.record_count = self.env[wizard.source].search_count(
                wizard._get_source_domain()
            )

    def _get_source_domain(self):
        self.ensure_one()
        text = self.partner_domain if self.source == "res.partner" else self.lead_domain
        try:
            domain = safe_eval(text or "[]")
        except (ValueError, SyntaxError, NameError) as exc:
            raise UserError(self.env._("The filter is not a valid domain.")) from exc
        # Without a number there is nothing to call.
        return Domain.AND([domain, [("phone", "!=", False)]])

    def action_add_targets(self):
        """Create one target per selected record not already in the campaign."""
        self.ensure_one()
        campaign = self.campaign_id
        if campaign.state == "done":
            raise UserError(self.env._("The campaign is done."))
        field = "partner_id" if self.source == "res.partner" else "lead_id"
        Target = self.env["crm.telesales.target"]
        already = set(
            Target.with_context(active_test=False)
            .search([("campaign_id", "=", campaign.id), (field, "!=", False)])
            .mapped(f"{field}.id")
        )
        records = self.env[self.source].search(self._get_source_domain(), order="id")
        created = Target
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            vals_list = [
                self._prepare_target_vals(record)
                for record in chunk
                if record.id not in already
            ]
            created |= Target.create(vals_list)
        campaign._on_targets_added()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(created)s targets added, %(skipped)s already in the campaign.",
                    created=len(created),
                    skipped=len(records) - len(created),
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _prepare_target_vals(self, record):
        vals = {
            "campaign_id": self.campaign_id.id,
            "phone": record.phone,
            "priority": self.priority,
        }
        if record._name == "res.partner":
            vals["partner_id"] = record.id
        else:
            vals["lead_id"] = record.id
            vals["partner_id"] = record.partner_id.id
        return vals
