from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _crm_callcenter_open_callbacks(self):
        if self.env.context.get("crm_callcenter_callback_closing"):
            return self.env["crm.callcenter.callback"]
        # Call-backs are technical rows of the call center: read as superuser.
        return (
            self.env["crm.callcenter.callback"]
            .sudo()
            .search([("activity_id", "in", self.ids), ("state", "=", "open")])
        )

    def _action_done(self, feedback=False, attachment_ids=None):
        # Marked done by hand: the call-back is settled, stop counting it as due.
        callbacks = self._crm_callcenter_open_callbacks()
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        callbacks._mark_done()
        return result

    def unlink(self):
        # A cancelled call-back activity closes the call-back too.
        callbacks = self._crm_callcenter_open_callbacks()
        result = super().unlink()
        callbacks._mark_done()
        return result
