import threading
import uuid

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, api
from odoo.addons.crm_callcenter.tests.common import SECRET
from odoo.tests.common import TransactionCase

TARGETS = 12


class TestDialerConcurrency(TransactionCase):
    """Two real transactions ask for the next target at the same time.

    The data is committed (other transactions must see it) by cursors of
    their own, and removed again after the test.
    """

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            provider = env["crm.callcenter.provider"].create(
                {
                    "name": f"Concurrency {tag}",
                    "code": "generic",
                    "default_country_id": env.ref("base.vn").id,
                    "webhook_secret": SECRET,
                }
            )
            campaign = env["crm.telesales.campaign"].create(
                {
                    "name": f"Concurrency {tag}",
                    "provider_id": provider.id,
                    "state": "running",
                }
            )
            targets = env["crm.telesales.target"].create(
                [
                    {"campaign_id": campaign.id, "phone": f"+8490300{i:04d}"}
                    for i in range(TARGETS)
                ]
            )
            self.ids = (provider.id, campaign.id, campaign.utm_campaign_id.id)
            self.target_ids = set(targets.ids)
        self.addCleanup(self._remove)

    def _remove(self):
        provider_id, campaign_id, utm_id = self.ids
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            campaign = env["crm.telesales.campaign"].browse(campaign_id)
            campaign.target_ids.unlink()
            campaign.unlink()
            env["utm.campaign"].browse(utm_id).unlink()
            env["crm.callcenter.provider"].browse(provider_id).unlink()

    def _in_threads(self, work, count=2):
        results, errors = [None] * count, []

        def run(index):
            try:
                results[index] = work(index)
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(errors, errors)
        return results

    def _pick(self, cr, limit):
        env = api.Environment(cr, SUPERUSER_ID, {})
        campaign = env["crm.telesales.campaign"].browse(self.ids[1])
        return env["crm.telesales.dialer"]._pick(campaign, limit=limit).ids

    def test_two_transactions_holding_their_picks_never_share_one(self):
        barrier = threading.Barrier(2, timeout=30)

        def work(_index):
            with self.registry.cursor() as cr:
                picked = self._pick(cr, limit=4)
                # Both transactions are open, holding what they picked,
                # before either commits.
                barrier.wait()
                return picked

        first, second = self._in_threads(work)
        self.assertEqual(len(first), 4)
        self.assertEqual(len(second), 4)
        self.assertFalse(set(first) & set(second), "a target was handed out twice")

    def test_agents_draining_the_queue_concurrently_get_each_target_once(self):
        def work(_index):
            got = []
            while True:
                try:
                    with self.registry.cursor() as cr:
                        picked = self._pick(cr, limit=1)
                except SerializationFailure:
                    # The other agent's pick committed after this
                    # transaction's snapshot: Odoo retries the request.
                    continue
                if not picked:
                    return got
                got.extend(picked)

        first, second = self._in_threads(work)
        everything = first + second
        self.assertEqual(len(everything), len(set(everything)), "handed out twice")
        self.assertEqual(set(everything), self.target_ids, "every target once")
