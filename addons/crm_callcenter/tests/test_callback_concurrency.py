import threading
import uuid
from datetime import timedelta
from functools import partial
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import BASE_TIME, FakeContactCenter

MISSED_CRON = "crm_callcenter.ir_cron_crm_callcenter_missed"


@tagged("post_install", "-at_install")
class TestCallbackConcurrency(TransactionCase):
    """The call-back cron and the answered call of the same customer, in two
    real transactions at once: the customer must not stay on the call-back
    list after an agent spoke to them.

    The data is committed (the other transaction must see it) by cursors of
    their own, and removed again after the test.
    """

    def setUp(self):
        super().setUp()
        tag = uuid.uuid4().hex[:8]
        self.number = f"+8490{int(tag, 16) % 10**7:07d}"
        self.center = FakeContactCenter()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            provider = env["crm.callcenter.provider"].create(
                {
                    "name": f"Call-back race {tag}",
                    "code": "generic",
                    "default_country_id": env.ref("base.vn").id,
                    "webhook_secret": self.center.secret,
                }
            )
            partner = env["res.partner"].create(
                {
                    "name": f"Race customer {tag}",
                    "phone": self.number,
                    "user_id": env.ref("base.user_admin").id,
                }
            )
            self.ids = {"provider": provider.id, "partner": partner.id}
            cr.execute("SELECT now() at time zone 'UTC'")
            self.started = cr.fetchone()[0]
            # The missed call, queued for the cron by its ending event.
            self._feed(
                env,
                [
                    self.center.event("call.ringing", "race-missed", from_=self.number),
                    self.center.event(
                        "call.ended",
                        "race-missed",
                        from_=self.number,
                        at=BASE_TIME + timedelta(seconds=30),
                    ),
                ],
            )
            self.assertTrue(self._call(env, "race-missed").callback_queued)
        self.addCleanup(self._remove)

    def _remove(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
            calls = env["crm.callcenter.call"].search(
                [("provider_id", "=", self.ids["provider"])]
            )
            callbacks = env["crm.callcenter.callback"].search(
                [("number", "=", self.number)]
            )
            callbacks.activity_id.unlink()
            env["crm.callcenter.event"].search(
                [("provider_id", "=", self.ids["provider"])]
            ).unlink()
            calls.unlink()
            callbacks.unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env["crm.callcenter.provider"].browse(self.ids["provider"]).unlink()
            env["ir.cron.trigger"].search(
                [
                    ("cron_id", "=", env.ref(MISSED_CRON).id),
                    ("create_date", ">=", self.started),
                ]
            ).unlink()

    def _feed(self, env, signed_events):
        provider = env["crm.callcenter.provider"].browse(self.ids["provider"])
        adapter = provider._get_adapter()
        Event = env["crm.callcenter.event"]
        for body, headers in signed_events:
            Event._receive(
                provider,
                headers["webhook-id"],
                body.decode(),
                adapter.parse(body, headers),
            )

    def _answer(self, env):
        """The customer's new call, answered by an agent (still in progress)."""
        at = BASE_TIME + timedelta(minutes=1)
        self._feed(
            env,
            [
                self.center.event(
                    "call.answered", "race-again", from_=self.number, at=at
                )
            ],
        )

    def _call(self, env, call_id):
        return env["crm.callcenter.call"].search(
            [
                ("provider_id", "=", self.ids["provider"]),
                ("external_call_id", "=", call_id),
            ]
        )

    def _in_threads(self, *works):
        errors = []

        def run(work):
            try:
                work()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(work,)) for work in works]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(errors, errors)
        self.assertFalse(any(thread.is_alive() for thread in threads), "stuck")

    def _final_state(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            missed = self._call(env, "race-missed")
            again = self._call(env, "race-again")
            return (
                missed.callback_queued,
                missed.callback_id.state,
                missed.callback_id.done_call_id == again and bool(again),
                missed.callback_id.activity_id.active,
            )

    def test_cron_commits_the_call_back_while_the_answer_is_received(self):
        """The answer's transaction began before the cron's commit, so it
        cannot see the new call-back: it must fail to serialize and be
        retried (as Odoo retries a request), then close it."""
        registered = threading.Event()
        answer_began = threading.Event()
        IrCron = type(self.env["ir.cron"])
        commit_progress = IrCron._commit_progress

        def commit_when_the_answer_began(cron, *args, **kwargs):
            registered.set()
            self.assertTrue(answer_began.wait(30))
            return commit_progress(cron, *args, **kwargs)

        def cron():
            with (
                patch.object(IrCron, "_commit_progress", commit_when_the_answer_began),
                self.registry.cursor() as cr,
            ):
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["crm.callcenter.call"]._cron_register_missed()

        def answer():
            self.assertTrue(registered.wait(30))
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                cr.execute("SELECT 1")  # the transaction's snapshot
                answer_began.set()
                # Only once the cron committed.
                for _i in range(300):
                    with self.registry.cursor() as probe:
                        probe.execute(
                            "SELECT callback_queued FROM crm_callcenter_call"
                            " WHERE provider_id = %s AND external_call_id = %s",
                            [self.ids["provider"], "race-missed"],
                        )
                        if not probe.fetchone()[0]:
                            break
                    threading.Event().wait(0.05)
                retrying(partial(self._answer, env), env)

        self._in_threads(cron, answer)
        self.assertEqual(self._final_state(), (False, "done", True, False))

    def test_answer_holding_the_missed_call_makes_the_cron_come_back(self):
        """The cron runs while the answer's transaction is open: it skips the
        missed call the answer holds, and a run after the answer's commit
        gives the call-back and closes it at once."""
        answered = threading.Event()
        cron_done = threading.Event()

        def answer():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                self._answer(env)
                env.flush_all()
                answered.set()
                self.assertTrue(cron_done.wait(30))

        def cron():
            self.assertTrue(answered.wait(30))
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["crm.callcenter.call"]._cron_register_missed()
            cron_done.set()

        self._in_threads(answer, cron)
        self.assertEqual(self._final_state()[:2], (True, False))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            # The answer asked for another run, due now.
            triggers = env["ir.cron.trigger"].search(
                [
                    ("cron_id", "=", env.ref(MISSED_CRON).id),
                    ("create_date", ">=", self.started),
                ]
            )
            self.assertGreaterEqual(
                len(triggers), 2, "the queueing one and the answer's"
            )
            env["crm.callcenter.call"]._cron_register_missed()
        self.assertEqual(self._final_state(), (False, "done", True, False))
