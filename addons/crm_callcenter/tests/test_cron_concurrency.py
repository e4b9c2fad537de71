import uuid
from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from ..models import ir_cron

WRAPUP_CRON = "crm_callcenter.ir_cron_crm_callcenter_wrapup_end"


@tagged("post_install", "-at_install")
class TestCronConcurrency(TransactionCase):
    """Our cron jobs write the rows call events write. Odoo retries an HTTP
    request that loses such a race, not a cron job: ours retry themselves.

    Two real transactions: a call event for an agent commits after the
    wrap-up cron's snapshot was taken, so the cron's write of that agent
    fails to serialize. The data is committed by cursors of their own and
    removed after the test.
    """

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cr.execute("SELECT now() at time zone 'UTC'")
            self.started = cr.fetchone()[0]
            agents = env["res.users"]
            for name in ("busy", "idle"):
                agents |= new_test_user(
                    env,
                    login=f"cron-race-{name}-{tag}",
                    name=f"Cron race {name} {tag}",
                    groups="crm_callcenter.crm_callcenter_group_agent",
                )
            # Both agents ended a call; their wrap-up time is over.
            agents._callcenter_update_presence("wrap_up", wrapup_seconds=0)
            self.busy, self.idle = agents.ids
        self.addCleanup(self._remove)

    def _remove(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            users = env["res.users"].browse([self.busy, self.idle])
            partners = users.partner_id
            env["crm.callcenter.presence.log"].search(
                [("user_id", "in", users.ids)]
            ).unlink()
            users.unlink()
            partners.unlink()
            env["ir.cron.trigger"].search(
                [
                    ("cron_id", "=", env.ref(WRAPUP_CRON).id),
                    ("create_date", ">=", self.started),
                ]
            ).unlink()

    def _race(self, cron_context=None):
        """A call starts for the busy agent while the wrap-up cron runs:
        its transaction commits after the cron's snapshot was taken."""
        with self.registry.cursor() as call_cr, self.registry.cursor() as cron_cr:
            call_env = api.Environment(call_cr, SUPERUSER_ID, {})
            cron_env = api.Environment(cron_cr, SUPERUSER_ID, cron_context or {})
            call_env["res.users"].browse(self.busy)._callcenter_call_started()
            call_env.flush_all()
            cron_cr.execute("SELECT 1")  # the cron's snapshot: both in wrap-up
            call_cr.commit()
            cron_env["res.users"]._cron_callcenter_wrapup_end()
            cron_cr.commit()

    def _presences(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            users = env["res.users"].browse([self.busy, self.idle])
            logs = env["crm.callcenter.presence.log"].search(
                [("user_id", "=", self.busy)], order="id"
            )
            return (
                users.mapped("callcenter_presence"),
                [(log.presence, bool(log.date_end)) for log in logs],
            )

    def test_wrapup_cron_retries_after_losing_to_a_call_event(self):
        with patch.object(ir_cron.time, "sleep"):
            self._race()
        presences, busy_log = self._presences()
        # The cron's first attempt saw both agents in wrap-up and lost on
        # the busy one; the next attempt ended the idle one's wrap-up only.
        self.assertEqual(presences, ["in_call", "available"])
        self.assertEqual(
            busy_log,
            [("wrap_up", True), ("in_call", False)],
            "the busy agent's call is not overwritten by the cron",
        )

    def test_wrapup_cron_out_of_attempts_runs_again_soon(self):
        cron = self.env.ref(WRAPUP_CRON)
        with (
            patch.object(ir_cron, "CRON_ATTEMPTS", 1),
            self.assertRaises(pg_errors.SerializationFailure),
        ):
            self._race({"cron_id": cron.id})
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT call_at - (now() at time zone 'UTC') FROM ir_cron_trigger"
                " WHERE cron_id = %s AND create_date >= %s",
                [cron.id, self.started],
            )
            delays = [row[0].total_seconds() for row in cr.fetchall()]
        # Not left for the next interval (5 minutes): triggered again.
        self.assertTrue(
            any(0 < delay <= ir_cron.RETRIGGER_SECONDS for delay in delays), delays
        )
        presences, _log = self._presences()
        self.assertEqual(presences, ["in_call", "wrap_up"])
