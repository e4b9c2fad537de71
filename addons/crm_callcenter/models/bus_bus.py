import logging

from odoo import models
from odoo.addons.bus.models.bus import ODOO_NOTIFY_FUNCTION, get_notify_payloads
from odoo.tools.misc import OrderedSet

from ..tools.notify import notify

_logger = logging.getLogger(__name__)


class BusBus(models.Model):
    _inherit = "bus.bus"

    def _ensure_hooks(self):
        """Core's hooks (bus rows created before the commit, NOTIFY after
        it), the NOTIFY sent through the kept-open connection of
        ``tools.notify`` instead of a new connection per transaction."""
        cr = self.env.cr
        if "bus.bus.values" not in cr.precommit.data:
            cr.precommit.data["bus.bus.values"] = []

            @cr.precommit.add
            def create_bus():
                self.sudo().create(cr.precommit.data.pop("bus.bus.values"))

        if "bus.bus.channels" not in cr.postcommit.data:
            cr.postcommit.data["bus.bus.channels"] = OrderedSet()

            # After the commit: the listeners fetch the rows the NOTIFY
            # announces.
            @cr.postcommit.add
            def notify_listeners():
                payloads = get_notify_payloads(
                    list(cr.postcommit.data.pop("bus.bus.channels"))
                )
                if len(payloads) > 1:
                    _logger.info(
                        "The imbus notification payload was too large, it's been"
                        " split into %d payloads.",
                        len(payloads),
                    )
                notify(ODOO_NOTIFY_FUNCTION, "imbus", payloads)
