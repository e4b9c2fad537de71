import logging
import random
import time
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.base.models.ir_cron import ODOO_NOTIFY_FUNCTION

from ..tools.notify import notify
from .crm_callcenter_event import CONCURRENCY_ERRORS

_logger = logging.getLogger(__name__)

# Attempts of a cron job's work that loses to other transactions (as many
# as Odoo gives an HTTP request), and how soon the job runs again after the
# last one instead of at its next interval.
CRON_ATTEMPTS = 5
RETRIGGER_SECONDS = 10


class IrCron(models.Model):
    _inherit = "ir.cron"

    def _notifydb(self):
        """Wake the cron workers as core does, through the kept-open
        connection of ``tools.notify`` (core opens a new one each time)."""
        notify(ODOO_NOTIFY_FUNCTION, "cron_trigger", [self.env.cr.dbname])

    @api.model
    def _callcenter_retrying(self, work):
        """Run a cron job's ``work()``, retried after a concurrency error.

        Odoo retries an HTTP request whose transaction lost a race to
        another one (``odoo.service.model.retrying``), but not a cron job:
        the job fails with a traceback and its due triggers are gone, so
        the work waits for the job's next interval. Our jobs write the rows
        the webhook writes (agents' presence, calls, call-backs): under
        load an agent stayed in wrap-up for minutes, queued events and
        call-backs waited. The work is retried as a request is: rolled
        back (batches it committed stay committed) and run again on a new
        snapshot after a short random pause that grows. If the last attempt
        still loses, the job is triggered again in a few seconds before the
        error goes up.
        """
        env = self.env
        failure = None
        for attempt in range(1, CRON_ATTEMPTS + 1):
            try:
                return work()
            except CONCURRENCY_ERRORS as exc:
                env.cr.rollback()
                env.transaction.reset()
                env.registry.reset_changes()
                if attempt == CRON_ATTEMPTS:
                    failure = exc
                    break
                # The transaction it lost to has committed (or goes on, for
                # a deadlock): a short pause, growing, is enough.
                pause = random.uniform(0.05, 0.25 * 2 ** (attempt - 1))
                _logger.info(
                    "Cron job %s: %s, trying again in %.1f s",
                    env.context.get("cron_id"),
                    type(exc).__name__,
                    pause,
                )
                time.sleep(pause)
        cron_id = env.context.get("cron_id")
        if cron_id:
            # In a transaction of its own: the job's fails.
            with self.env.registry.cursor() as cr:
                self.with_env(self.env(cr=cr)).browse(cron_id)._trigger(
                    fields.Datetime.now() + timedelta(seconds=RETRIGGER_SECONDS)
                )
            _logger.warning(
                "Cron job %s lost to concurrent transactions %s times; triggered "
                "again in %s s",
                cron_id,
                CRON_ATTEMPTS,
                RETRIGGER_SECONDS,
            )
        raise failure
