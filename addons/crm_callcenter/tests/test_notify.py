import json
import os
import select
import time

import psycopg2

from odoo import sql_db
from odoo.tests import TransactionCase, tagged

from ..tools import notify as notify_tool


@tagged("post_install", "-at_install")
class TestNotifyConnection(TransactionCase):
    """The NOTIFYs that wake the bus and the cron workers reach their
    listeners through one kept-open connection instead of a new connection
    per transaction."""

    def setUp(self):
        super().setUp()
        _dbname, info = sql_db.connection_info_for("postgres")
        self.listener = psycopg2.connect(**info)
        self.listener.autocommit = True
        self.addCleanup(self.listener.close)
        with self.listener.cursor() as cr:
            cr.execute("LISTEN imbus")
            cr.execute("LISTEN cron_trigger")

    def _received(self, channel, timeout=5):
        """Payloads of ``channel`` received within ``timeout`` seconds."""
        payloads = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            select.select([self.listener], [], [], 0.1)
            self.listener.poll()
            while self.listener.notifies:
                note = self.listener.notifies.pop(0)
                if note.channel == channel:
                    payloads.append(note.payload)
            if payloads:
                return payloads
        return payloads

    def _notifier_pid(self):
        return notify_tool._state["cnx"].get_backend_pid()

    def test_bus_message_notifies_its_channel_on_the_kept_connection(self):
        partner = self.env.user.partner_id
        self.env["bus.bus"]._sendone(partner, "crm_callcenter/test", {"x": 1})
        self.env.cr.postcommit.run()
        payloads = self._received("imbus")
        self.assertTrue(payloads, "the bus NOTIFY never arrived")
        channels = json.loads(payloads[0])
        self.assertIn([self.env.cr.dbname, "res.partner", partner.id], channels)
        pid = self._notifier_pid()

        # A second transaction's NOTIFY goes through the same backend.
        self.env["bus.bus"]._sendone(partner, "crm_callcenter/test", {"x": 2})
        self.env.cr.postcommit.run()
        self.assertTrue(self._received("imbus"))
        self.assertEqual(self._notifier_pid(), pid)

    def test_cron_wake_up_is_delivered(self):
        self.env["ir.cron"]._notifydb()
        self.assertEqual(self._received("cron_trigger"), [self.env.cr.dbname])

    def test_a_lost_connection_is_replaced(self):
        notify_tool.notify("pg_notify", "imbus", ["first"])
        self.assertEqual(self._received("imbus"), ["first"])
        old_pid = self._notifier_pid()
        with self.listener.cursor() as cr:
            # What a server restart or an idle-connection killer does.
            cr.execute("SELECT pg_terminate_backend(%s)", [old_pid])
        for _ in range(50):
            with self.listener.cursor() as cr:
                cr.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [old_pid])
                if not cr.fetchone():
                    break
            time.sleep(0.05)

        notify_tool.notify("pg_notify", "imbus", ["second"])
        self.assertEqual(self._received("imbus"), ["second"])
        self.assertNotEqual(self._notifier_pid(), old_pid)

    def test_a_forked_worker_leaves_its_parents_connection_alone(self):
        """Prefork workers are forked: a child opens its own connection
        instead of talking on the socket it shares with its parent, and the
        parent's connection survives the child."""
        notify_tool.notify("pg_notify", "imbus", ["parent"])
        self.assertEqual(self._received("imbus"), ["parent"])
        parent_pid = self._notifier_pid()
        child = os.fork()
        if child == 0:  # the child: notify, then leave without any clean-up
            code = 1
            try:
                notify_tool.notify("pg_notify", "imbus", ["child"])
                code = 0 if self._notifier_pid() != parent_pid else 2
            finally:
                os._exit(code)
        _pid, status = os.waitpid(child, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)
        self.assertEqual(self._received("imbus"), ["child"])
        notify_tool.notify("pg_notify", "imbus", ["parent again"])
        self.assertEqual(self._received("imbus"), ["parent again"])
        self.assertEqual(self._notifier_pid(), parent_pid)
