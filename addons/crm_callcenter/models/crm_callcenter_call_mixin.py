from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmCallcenterCallMixin(models.AbstractModel):
    """Records calls link to (contacts, leads): call count and smart button."""

    _name = "crm.callcenter.call.mixin"
    _description = "Call Center: records with calls"
    # Field of crm.callcenter.call that points to the inheriting model.
    _callcenter_call_field = None

    callcenter_call_count = fields.Integer(
        "Calls",
        compute="_compute_callcenter_call_count",
        groups="crm_callcenter.crm_callcenter_group_agent",
    )

    def init(self):
        res = super().init()
        # Their phone fields shape the caller lookup's queries: a module that
        # extends contacts or leads (a new phone field) gets them written
        # again at its installation.
        self.env["crm.callcenter.call"]._write_match_function()
        return res

    @api.depends_context("uid")  # record rules: each agent counts their own calls
    def _compute_callcenter_call_count(self):
        fname = self._callcenter_call_field
        counts = dict(
            self.env["crm.callcenter.call"]._read_group(
                [(fname, "in", self.ids)], [fname], ["__count"]
            )
        )
        for record in self:
            record.callcenter_call_count = counts.get(record, 0)

    def action_view_callcenter_calls(self):
        self.ensure_one()
        return self.env["crm.callcenter.call"]._action_for_domain(
            [(self._callcenter_call_field, "=", self.id)]
        )

    def action_callcenter_call(self):
        """Call button of the form: call the record's phone number."""
        self.ensure_one()
        number = self._callcenter_phone_number()
        if not number:
            raise UserError(self.env._("There is no phone number to call."))
        return self.env["crm.callcenter.call"]._click_to_call_client_action(
            number, self._name, self.id
        )

    def _callcenter_phone_number(self):
        self.ensure_one()
        return self.phone
