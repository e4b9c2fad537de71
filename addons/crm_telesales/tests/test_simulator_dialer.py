import sys
import threading
import unittest
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from .intake_common import SECRET, TelesalesIntakeCase

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"


@tagged("post_install", "-at_install")
class TestSimulatorDialer(HttpCase, TelesalesIntakeCase):
    """The simulator's dialer (scripts/simulate_call.py --serve-dialer) takes
    the pushed targets over real HTTP and calls them back through the
    webhook: what works here works with a center speaking the same API."""

    def setUp(self):
        super().setUp()
        if not (SCRIPTS / "simulate_call.py").exists():
            raise unittest.SkipTest("scripts/simulate_call.py is not in this tree")
        sys.path.insert(0, str(SCRIPTS))
        self.addCleanup(sys.path.remove, str(SCRIPTS))
        import simulate_call

        webhook = f"{self.base_url()}/callcenter/webhook/{self.provider.webhook_token}"
        self.server = simulate_call.make_dialer_server(
            webhook,
            SECRET,
            0,
            outcome="mixed",
            delay=0,
            log=lambda _line: None,
            # Calls wait until the test lets its server take requests.
            autodial=False,
        )
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.provider.generic_dialer_url = (
            f"http://127.0.0.1:{self.server.server_port}/tasks"
        )

    def test_pushed_targets_are_called_and_their_results_come_back(self):
        targets = self.Target.create(
            [
                {"campaign_id": self.campaign.id, "phone": f"+8498730000{i}"}
                for i in range(3)
            ]
        )
        self.campaign.action_start()
        with patch.object(self.env.cr, "commit", lambda: None):
            self.env["crm.telesales.campaign"]._cron_push_targets()
        self.assertEqual(self.server.tasks, {t._dialer_task_ref() for t in targets})
        with self.allow_requests(all_requests=True):
            self.server.dial_queued()
        # answered: 3 events; no answer and busy: 2 each.
        self.assertEqual([code for _e, code in self.server.played], [200] * 7)
        self.env.invalidate_all()
        self.assertEqual(targets.mapped("state"), ["done", "scheduled", "scheduled"])
        self.assertEqual(targets.mapped("result"), ["reached", "no_answer", "busy"])
        self.assertEqual(targets.mapped("attempts"), [1, 1, 1])
        self.assertEqual(targets[0].user_id, self.agent)
