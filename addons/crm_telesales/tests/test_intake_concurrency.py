import threading
import time
from functools import partial

from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying
from odoo.sql_db import db_connect
from odoo.tests.common import TransactionCase, tagged
from odoo.tools import SQL


@tagged("post_install", "-at_install")
class TestIntakeConcurrency(TransactionCase):
    """Two identical requests at the same moment make one target.

    Real PostgreSQL transactions on their own connections (committed data,
    removed afterwards): the second insert waits for the first one's unique
    index entry, fails when it commits, and its retry updates the target.
    """

    def setUp(self):
        super().setUp()
        self.db = db_connect(self.env.cr.dbname)
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            provider = env["crm.callcenter.provider"].create(
                {"name": "Concurrency Center", "code": "generic"}
            )
            campaign = env["crm.telesales.campaign"].create(
                {"name": "Concurrency campaign", "provider_id": provider.id}
            )
            self.ids = (provider.id, campaign.id, campaign.utm_campaign_id.id)
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        provider_id, campaign_id, utm_id = self.ids
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            targets = env["crm.telesales.target"].search(
                [("campaign_id", "=", campaign_id)]
            )
            partners = targets.partner_id
            targets.unlink()
            env["crm.telesales.campaign"].browse(campaign_id).unlink()
            env["utm.campaign"].browse(utm_id).unlink()
            env["crm.callcenter.provider"].browse(provider_id).unlink()
            partners.unlink()

    def wait_for_lock_wait(self, timeout=30):
        """Whether another connection of this database waits on a lock."""
        deadline = time.monotonic() + timeout
        with self.db.cursor() as cr:
            while time.monotonic() < deadline:
                cr.execute(
                    SQL(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = %s AND wait_event_type = 'Lock'",
                        cr.dbname,
                    )
                )
                if cr.fetchone()[0]:
                    return True
                cr.rollback()
                time.sleep(0.05)
        return False

    def intake(self, cr, items):
        env = api.Environment(cr, SUPERUSER_ID, {})
        campaign = env["crm.telesales.campaign"].browse(self.ids[1])
        return env["crm.telesales.target"]._intake(campaign, items)

    def test_two_identical_posts_make_one_target(self):
        items = [
            {"number": "+84987654321", "name": "Đồng Thời", "external_ref": "C-1"},
            {"number": "+84987654322", "external_ref": "C-2"},
        ]
        second = {}
        with self.db.cursor() as first_cr:
            first = self.intake(first_cr, items)
            first_cr.flush()  # the rows are inserted, not committed

            def post_again():
                with self.db.cursor() as cr:
                    env = api.Environment(cr, SUPERUSER_ID, {})
                    second["results"] = retrying(partial(self.intake, cr, items), env)

            thread = threading.Thread(target=post_again)
            thread.start()
            # The second transaction now waits on the first one's index entry.
            self.assertTrue(self.wait_for_lock_wait(), "the second insert must wait")
            self.assertTrue(thread.is_alive())
            first_cr.commit()
        thread.join(timeout=60)
        self.assertFalse(thread.is_alive())
        self.assertEqual([r["status"] for r in first], ["created", "created"])
        self.assertEqual(
            [r["status"] for r in second["results"]], ["updated", "updated"]
        )
        with self.db.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            targets = env["crm.telesales.target"].search(
                [("campaign_id", "=", self.ids[1])], order="external_ref"
            )
            self.assertEqual(targets.mapped("external_ref"), ["C-1", "C-2"])
            partners = env["res.partner"].search(
                [("phone_sanitized", "=", "+84987654321")]
            )
            self.assertEqual(len(partners), 1, "one contact per number")
