"""Copies of recordings kept in Odoo: downloaded by a cron once the call
ended, played from Odoo's file store, retried on failure, deleted after the
provider's retention. The centers' media servers are faked at the transport
(``responses``)."""

from datetime import datetime, timedelta
from unittest.mock import patch

import requests
import responses
from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..models.crm_callcenter_recording_archive import ARCHIVE_RETRY_MINUTES
from .common import CallcenterCase, FakedApiMixin

PATH = "/callcenter/call/{}/recording"
MEDIA = "https://media.center.example/rec/{}.mp3"
AUDIO = bytes(range(256)) * 64
ZADARMA_RECORD_URL = "https://api.zadarma.com/v1/pbx/record/request/"


@tagged("post_install", "-at_install")
class TestRecordingArchive(FakedApiMixin, HttpCase, CallcenterCase):
    faked_api_hosts = ("media.center.example", "api.zadarma.com")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider.recording_archive = True

    def recorded_call(self, call_id, link=None):
        """A call of the generic center, answered by agent A, whose end
        carries the recording's link."""
        common = {"from_": "0903555111", "to": "+842838123456", "agent": "101"}
        self.feed(
            [
                self.center.event("call.ringing", call_id, **common),
                self.center.event("call.answered", call_id, **common),
                self.center.event(
                    "call.ended",
                    call_id,
                    recording_url=link or MEDIA.format(call_id),
                    **common,
                ),
            ]
        )
        return self.get_call(call_id)

    def faked(self):
        fake = responses.RequestsMock(assert_all_requests_are_fired=False)
        fake.add_passthru(self.base_url())
        return fake

    @staticmethod
    def serve_audio(fake, call_id):
        """The center's media server answers the call's recording."""
        fake.add(
            responses.GET, MEDIA.format(call_id), body=AUDIO, content_type="audio/mpeg"
        )

    def run_cron(self, at=None):
        with (
            freeze_time(at or datetime.now() + timedelta(minutes=2)),
            patch.object(self.env.cr, "commit"),
        ):
            self.env["crm.callcenter.call"]._cron_archive_recordings()
        self.env.invalidate_all()

    def play(self, call, login="cc_agent_a", headers=None):
        self.authenticate(login, login)
        return self.url_open(
            PATH.format(call.id), headers=headers, allow_redirects=False
        )

    def test_recording_kept_and_played_from_odoo(self):
        call = self.recorded_call("arch-1")
        self.assertEqual(call.recording_archive_state, "pending")
        trigger = self.env["ir.cron.trigger"].search(
            [
                (
                    "cron_id",
                    "=",
                    self.env.ref(
                        "crm_callcenter.ir_cron_crm_callcenter_recording_archive"
                    ).id,
                )
            ]
        )
        self.assertTrue(trigger, "the end of a recorded call wakes the cron")

        # Not before the delay: the center may still be writing the file.
        with self.faked() as fake:
            self.run_cron(at=datetime.now())
            self.assertFalse(fake.calls)
        self.assertEqual(call.recording_archive_state, "pending")

        with self.faked() as fake:
            self.serve_audio(fake, "arch-1")
            self.run_cron()
        self.assertEqual(call.recording_archive_state, "done")
        copy = call.recording_attachment_id
        self.assertEqual(copy.raw, AUDIO)
        self.assertEqual(copy.mimetype, "audio/mpeg")
        self.assertEqual((copy.res_model, copy.res_id), (call._name, call.id))
        self.assertTrue(copy.name.endswith(".mp3"))

        # Played from Odoo, the center no longer asked; seeking works.
        with self.faked() as fake:
            whole = self.play(call)
            part = self.play(call, headers={"Range": "bytes=256-511"})
            self.assertFalse(fake.calls)
        self.assertEqual(whole.status_code, 200, whole.text)
        self.assertEqual(whole.content, AUDIO)
        self.assertEqual(whole.headers["Content-Type"], "audio/mpeg")
        self.assertEqual(part.status_code, 206)
        self.assertEqual(part.content, AUDIO[256:512])
        # Another agent's call stays hidden, copy or not.
        self.assertEqual(self.play(call, "cc_agent_b").status_code, 404)

        # Once kept, later events of the call do not download it again.
        self.feed([self.center.event("call.updated", "arch-1", from_="0903555111")])
        self.assertEqual(call.recording_archive_state, "done")

    def test_link_asked_of_the_provider_then_kept(self):
        """A provider whose links are made on request (Zadarma): the cron
        asks for a link like the player does, then downloads it."""
        zadarma = self.env["crm.callcenter.provider"].create(
            {
                "name": "Zadarma",
                "code": "zadarma",
                "zadarma_api_key": "key",
                "zadarma_api_secret": "secret",
                "recording_archive": True,
            }
        )
        call = (
            self.env["crm.callcenter.call"]
            .sudo()
            .create(
                {
                    "provider_id": zadarma.id,
                    "company_id": zadarma.company_id.id,
                    "external_call_id": "in_arch",
                    "direction": "inbound",
                    "state": "ringing",
                }
            )
        )
        # NOTIFY_RECORD after the end: what the fold does with it.
        before = call._fold_snapshot()
        call.write({"state": "ended", "recording_id": "1715670903.1234567"})
        call._after_fold(zadarma, before)
        self.assertEqual(call.recording_archive_state, "pending")
        link = "https://api.zadarma.com/v1/pbx/record/download/NzE1/1.mp3"
        with self.faked() as fake:
            fake.add(
                responses.GET,
                ZADARMA_RECORD_URL,
                json={"status": "success", "link": link},
            )
            fake.add(responses.GET, link, body=AUDIO, content_type="audio/mpeg")
            self.run_cron()
        self.assertEqual(call.recording_archive_state, "done")
        self.assertEqual(call.recording_attachment_id.raw, AUDIO)

    def test_failures_are_retried_then_given_up(self):
        call = self.recorded_call("arch-2")
        now = datetime.now() + timedelta(minutes=2)
        failures = [
            ({"status": 503}, "HTTP 503"),
            ({"body": requests.ConnectTimeout()}, "cannot be downloaded"),
            (
                {"body": "<html>login</html>", "content_type": "text/html"},
                "text/html instead of the audio",
            ),
            ({"body": b"", "content_type": "audio/mpeg"}, "empty recording"),
        ]
        for attempt, (answer, expected) in enumerate(failures, 1):
            with self.faked() as fake:
                fake.add(responses.GET, MEDIA.format("arch-2"), **answer)
                self.run_cron(at=now)
            self.assertEqual(call.recording_archive_state, "pending", expected)
            self.assertEqual(call.recording_archive_attempts, attempt)
            self.assertIn(expected, call.recording_archive_error)
            self.assertFalse(call.recording_attachment_id)
            wait = timedelta(minutes=ARCHIVE_RETRY_MINUTES[attempt - 1])
            self.assertAlmostEqual(
                call.recording_archive_next_at, now + wait, delta=timedelta(seconds=5)
            )
            # Not again before it is due.
            with self.faked() as fake:
                self.run_cron(at=now + wait - timedelta(seconds=30))
                self.assertFalse(fake.calls)
            now += wait + timedelta(seconds=1)
        for _attempt in range(len(failures), len(ARCHIVE_RETRY_MINUTES) + 1):
            with self.faked() as fake:
                fake.add(responses.GET, MEDIA.format("arch-2"), status=404)
                self.run_cron(at=now)
            now += timedelta(days=1)
        self.assertEqual(call.recording_archive_state, "failed")
        self.assertFalse(call.recording_archive_next_at)
        # The player still asks the center (which may have it by now).
        response = self.play(call)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(response.headers["Location"], MEDIA.format("arch-2"))

    def test_too_large_is_not_kept(self):
        call = self.recorded_call("arch-3")
        with (
            patch(
                "odoo.addons.crm_callcenter.models.crm_callcenter_recording_archive"
                ".MAX_RECORDING_BYTES",
                len(AUDIO) - 1,
            ),
            self.faked() as fake,
        ):
            self.serve_audio(fake, "arch-3")
            self.run_cron()
        self.assertEqual(call.recording_archive_state, "pending")
        self.assertIn("larger than", call.recording_archive_error)
        self.assertFalse(call.recording_attachment_id)

    def test_copies_deleted_after_the_retention(self):
        self.provider.recording_archive_days = 30
        old, recent = self.recorded_call("arch-old"), self.recorded_call("arch-new")
        with self.faked() as fake:
            for name in ("arch-old", "arch-new"):
                self.serve_audio(fake, name)
            self.run_cron()
        kept = old.recording_attachment_id
        self.assertTrue(kept and recent.recording_attachment_id)
        self.provider.invalidate_recordset(["recording_copy_count"])
        self.assertEqual(self.provider.recording_copy_count, 2)
        # Megabytes, rounded to two decimals.
        self.assertEqual(
            self.provider.recording_copy_size, round(2 * len(AUDIO) / 2**20, 2)
        )
        self.env.cr.execute(
            "UPDATE crm_callcenter_call SET create_date = %s WHERE id = %s",
            [datetime.now() - timedelta(days=31), old.id],
        )
        self.run_cron()
        self.assertEqual(old.recording_archive_state, "expired")
        self.assertFalse(old.recording_attachment_id)
        self.assertFalse(kept.exists())
        self.assertEqual(recent.recording_archive_state, "done")
        self.assertTrue(recent.recording_attachment_id)
        self.provider.invalidate_recordset(["recording_copy_count"])
        self.assertEqual(self.provider.recording_copy_count, 1)
        # The expired call plays from the center again.
        self.assertEqual(self.play(old).status_code, 303)

    def test_nothing_kept_unless_asked(self):
        self.provider.recording_archive = False
        call = self.recorded_call("arch-off")
        self.assertTrue(call.has_recording)
        self.assertFalse(call.recording_archive_state)
        # Kept: but a call without a recording has nothing to download.
        self.provider.recording_archive = True
        common = {"from_": "0903555111", "to": "+842838123456"}
        self.feed(
            [
                self.center.event("call.ringing", "arch-none", **common),
                self.center.event("call.ended", "arch-none", **common),
            ]
        )
        self.assertFalse(self.get_call("arch-none").recording_archive_state)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.env.cr.savepoint(),
        ):
            self.provider.recording_archive_days = -1
            self.env.flush_all()

    def test_manager_keeps_past_or_failed_recordings(self):
        self.provider.recording_archive = False
        past = self.recorded_call("arch-past")
        self.assertFalse(past.recording_archive_state)
        Call = self.env["crm.callcenter.call"]
        with self.assertRaises(AccessError):
            past.with_user(self.agent).action_keep_recording()

        action = past.with_user(self.manager).action_keep_recording()
        self.assertIn("1 recordings", action["params"]["message"])
        self.assertEqual(past.recording_archive_state, "pending")
        with self.faked() as fake:
            self.serve_audio(fake, "arch-past")
            self.run_cron(at=datetime.now())
        self.assertEqual(past.recording_archive_state, "done")

        # Kept already, or nothing to download: said so.
        common = {"from_": "0903555111", "to": "+842838123456"}
        self.feed(
            [
                self.center.event("call.ringing", "arch-silent", **common),
                self.center.event("call.ended", "arch-silent", **common),
            ]
        )
        silent = self.get_call("arch-silent")
        with self.assertRaises(UserError):
            (past | silent).with_user(self.manager).action_keep_recording()
        self.assertEqual(Call.browse(past.id).recording_archive_state, "done")
