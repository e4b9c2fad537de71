from odoo import models
from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

from ..tools.notify import notify


class IrCron(models.Model):
    _inherit = "ir.cron"

    def _notifydb(self):
        """Wake the cron workers as core does, through the kept-open
        connection of ``tools.notify`` (core opens a new one each time)."""
        notify(ODOO_NOTIFY_FUNCTION, "cron_trigger", [self.env.cr.dbname])
