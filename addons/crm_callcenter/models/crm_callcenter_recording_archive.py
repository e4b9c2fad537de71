"""Copies of call recordings kept in Odoo.

Centers keep recordings for a while (Mango Office and Rostelecom for the
months of their plan, a PBX until its disk is cleaned) and some links work
once. A provider that keeps recordings in Odoo has each recording of an
ended call downloaded into an attachment of the call by a cron, away from
the webhook; the call then plays from Odoo. Copies can be deleted after a
number of days.
"""

import logging
import mimetypes
from datetime import timedelta
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tools.providers import RecordingError
from ..tools.providers.base import open_recording
from ..tools.storable import without_nul

_logger = logging.getLogger(__name__)

# The center may still be writing or uploading the file when the call ends.
ARCHIVE_DELAY_MINUTES = 1
# Minutes before each new attempt; then the copy is given up.
ARCHIVE_RETRY_MINUTES = (5, 15, 60, 240, 720)
ARCHIVE_BATCH = 10
RETENTION_BATCH = 200
MAX_RECORDING_BYTES = 200 * 1024 * 1024
CHUNK_BYTES = 256 * 1024
# What a web server answers instead of audio (a login page, an error).
NOT_AUDIO = ("text/", "application/json", "application/xml", "application/xhtml")
CRON_XMLID = "crm_callcenter.ir_cron_crm_callcenter_recording_archive"


# pylint: disable=consider-merging-classes-inherited
class CrmCallcenterProvider(models.Model):
    _inherit = "crm.callcenter.provider"

    recording_archive = fields.Boolean(
        "Keep Recordings in Odoo",
        help="Download the recording of each call that ends into Odoo: it "
        "plays from Odoo even after the center deleted it or its link "
        "expired. Recordings take room in Odoo's file store (about 1 MB per "
        "minute of MP3).",
    )
    recording_archive_days = fields.Integer(
        "Delete Copies After (days)",
        help="Delete Odoo's copy of a recording this many days after its call; "
        "0 keeps the copies. The call then plays from the center "
        "again, if the center still has it.",
    )

    recording_copy_count = fields.Integer(
        "Recordings Kept",
        compute="_compute_recording_copies",
        help="Recordings of this provider's calls kept in Odoo.",
    )
    recording_copy_size = fields.Float(
        "Size of the Copies (MB)",
        compute="_compute_recording_copies",
        digits=(16, 2),
        help="Room the recordings kept in Odoo take in its file store.",
    )

    _recording_archive_days_positive = models.Constraint(
        "CHECK(recording_archive_days >= 0)",
        "The number of days recordings are kept cannot be negative.",
    )

    def _compute_recording_copies(self):
        """One query over the copies of these providers' calls."""
        figures = {}
        if self.ids:
            self.env["crm.callcenter.call"].flush_model(
                ["provider_id", "recording_attachment_id"]
            )
            self.env["ir.attachment"].flush_model(["file_size"])
            self.env.cr.execute(
                SQL(
                    """
                    SELECT call.provider_id, COUNT(*), COALESCE(SUM(att.file_size), 0)
                      FROM crm_callcenter_call call
                      JOIN ir_attachment att ON att.id = call.recording_attachment_id
                     WHERE call.provider_id IN %s
                       AND call.recording_archive_state = 'done'
                     GROUP BY call.provider_id
                    """,
                    tuple(self.ids),
                )
            )
            figures = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for provider in self:
            count, size = figures.get(provider.id, (0, 0))
            provider.recording_copy_count = count
            provider.recording_copy_size = size / (1024 * 1024)


class CrmCallcenterCall(models.Model):
    _inherit = "crm.callcenter.call"

    recording_attachment_id = fields.Many2one(
        "ir.attachment",
        "Recording Copy",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The recording as downloaded into Odoo.",
    )
    recording_archive_state = fields.Selection(
        [
            ("pending", "To Download"),
            ("done", "Kept in Odoo"),
            ("failed", "Download Failed"),
            ("expired", "Deleted After Retention"),
        ],
        "Copy of the Recording",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    recording_archive_attempts = fields.Integer(
        "Recording Download Attempts", readonly=True, copy=False
    )
    recording_archive_next_at = fields.Datetime(
        "Next Recording Download", readonly=True, copy=False
    )
    recording_archive_error = fields.Char(
        "Recording Download Error", readonly=True, copy=False
    )

    @api.depends("recording_attachment_id")
    def _compute_has_recording(self):
        res = super()._compute_has_recording()
        for call in self:
            if call.recording_attachment_id:
                call.has_recording = True
        return res

    def _after_fold(self, provider, before):
        res = super()._after_fold(provider, before)
        if (
            self.state == "ended"
            and not self.recording_archive_state
            and provider.recording_archive
            and self.has_recording
        ):
            # The end, or a recording reported after it (Zadarma, Mango,
            # Twilio's recording callback): download it a little later.
            next_at = fields.Datetime.now() + timedelta(minutes=ARCHIVE_DELAY_MINUTES)
            self.write(
                {
                    "recording_archive_state": "pending",
                    "recording_archive_attempts": 0,
                    "recording_archive_next_at": next_at,
                }
            )
            self.env.ref(CRON_XMLID)._trigger(next_at)
        return res

    def action_keep_recording(self):
        """Download the selected calls' recordings into Odoo now: calls that
        ended before their provider kept recordings, or whose download
        failed (once the cause is fixed). Managers only."""
        if not self.env.user.has_group("crm_callcenter.crm_callcenter_group_manager"):
            raise AccessError(
                self.env._("Only call center managers can keep recordings in Odoo.")
            )
        calls = self.sudo().filtered(
            lambda call: (
                call.state == "ended"
                and call.has_recording
                and not call.recording_attachment_id
                and call.recording_archive_state != "pending"
            )
        )
        if not calls:
            raise UserError(
                self.env._(
                    "None of these calls has a recording to download: only ended "
                    "calls with a recording not kept in Odoo yet."
                )
            )
        now = fields.Datetime.now()
        calls.write(
            {
                "recording_archive_state": "pending",
                "recording_archive_attempts": 0,
                "recording_archive_next_at": now,
                "recording_archive_error": False,
            }
        )
        self.env.ref(CRON_XMLID)._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Keep Recordings in Odoo"),
                "message": self.env._(
                    "%(count)s recordings will be downloaded in a moment.",
                    count=len(calls),
                ),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------------

    @api.model
    def _cron_archive_recordings(self):
        """Download the recordings that are due, then delete the copies
        past their provider's retention."""
        self.env["ir.cron"]._callcenter_retrying(self._archive_due_recordings)

    @api.model
    def _archive_due_recordings(self):
        IrCron = self.env["ir.cron"]
        while True:
            # Calls of every company: the cron runs as superuser.
            calls = self.sudo().search(
                [
                    ("recording_archive_state", "=", "pending"),
                    ("recording_archive_next_at", "<=", fields.Datetime.now()),
                ],
                order="recording_archive_next_at, id",
                limit=ARCHIVE_BATCH,
            )
            if not calls:
                break
            for call in calls:
                call._archive_recording()
                # Each copy is kept even if a later one fails.
                if not IrCron._commit_progress(1):
                    self.env.ref(CRON_XMLID)._trigger()
                    return
        self._expire_recording_copies()

    def _archive_recording(self):
        """Download this call's recording into an attachment of the call;
        on failure try again later, then give up."""
        self.ensure_one()
        try:
            source = self._recording_source()
            timeout = self.provider_id.sudo()._get_adapter_config()["timeout"]
            data, mimetype = self._download_recording(source, timeout)
        except RecordingError as exc:
            self._archive_failed(str(exc))
            return
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self._recording_file_name(source.url, mimetype),
                    "raw": data,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": self.id,
                    "company_id": self.company_id.id,
                }
            )
        )
        self.write(
            {
                "recording_attachment_id": attachment.id,
                "recording_archive_state": "done",
                "recording_archive_next_at": False,
                "recording_archive_error": False,
            }
        )
        _logger.info("Recording of call %s kept in Odoo (%s bytes)", self.id, len(data))

    @api.model
    def _download_recording(self, source, timeout):
        """``(bytes, mimetype)`` of a recording; RecordingError when the
        center fails, answers something else than audio, or too much."""
        with open_recording(source, timeout) as response:
            if response.status_code != 200:
                raise RecordingError(
                    self.env._(
                        "The center refused the recording (HTTP %(status)s).",
                        status=response.status_code,
                    )
                )
            mimetype = (
                (response.headers.get("Content-Type") or "")
                .split(";")[0]
                .strip()
                .lower()
            )
            if mimetype.startswith(NOT_AUDIO):
                raise RecordingError(
                    self.env._(
                        "The center answered %(type)s instead of the audio.",
                        type=mimetype,
                    )
                )
            too_large = RecordingError(
                self.env._(
                    "The recording is larger than %(size)s MB: it is not kept in Odoo.",
                    size=MAX_RECORDING_BYTES // (1024 * 1024),
                )
            )
            length = response.headers.get("Content-Length") or ""
            if length.isdigit() and int(length) > MAX_RECORDING_BYTES:
                raise too_large
            chunks, size = [], 0
            try:
                for chunk in response.iter_content(CHUNK_BYTES):
                    size += len(chunk)
                    if size > MAX_RECORDING_BYTES:
                        raise too_large
                    chunks.append(chunk)
            except OSError as exc:  # requests' errors while reading the body
                raise RecordingError(
                    self.env._("The recording cannot be downloaded from the center.")
                ) from exc
        data = b"".join(chunks)
        if not data:
            raise RecordingError(self.env._("The center sent an empty recording."))
        return data, mimetype or "application/octet-stream"

    def _recording_file_name(self, url, mimetype):
        self.ensure_one()
        extension = mimetypes.guess_extension(mimetype or "") or ""
        if not extension or extension == ".bin":
            path = urlsplit(url).path
            suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
            extension = f".{suffix}" if suffix.isalnum() and len(suffix) <= 5 else ""
        return f"call-{self.id}-recording{extension}"

    def _archive_failed(self, error):
        self.ensure_one()
        attempts = self.recording_archive_attempts + 1
        vals = {
            "recording_archive_attempts": attempts,
            # The center's own words may be in it.
            "recording_archive_error": without_nul(error)[:500],
        }
        if attempts > len(ARCHIVE_RETRY_MINUTES):
            vals.update(
                recording_archive_state="failed", recording_archive_next_at=False
            )
        else:
            next_at = fields.Datetime.now() + timedelta(
                minutes=ARCHIVE_RETRY_MINUTES[attempts - 1]
            )
            vals["recording_archive_next_at"] = next_at
            self.env.ref(CRON_XMLID)._trigger(next_at)
        _logger.info(
            "Recording of call %s not downloaded (attempt %s): %s",
            self.id,
            attempts,
            error,
        )
        self.write(vals)

    @api.model
    def _expire_recording_copies(self):
        """Delete the copies older than their provider's retention."""
        IrCron = self.env["ir.cron"]
        providers = (
            self.env["crm.callcenter.provider"]
            .sudo()
            .with_context(active_test=False)
            .search([("recording_archive_days", ">", 0)])
        )
        now = fields.Datetime.now()
        for provider in providers:
            cutoff = now - timedelta(days=provider.recording_archive_days)
            while True:
                calls = self.sudo().search(
                    [
                        ("provider_id", "=", provider.id),
                        ("recording_archive_state", "=", "done"),
                        ("create_date", "<", cutoff),
                    ],
                    limit=RETENTION_BATCH,
                )
                if not calls:
                    break
                attachments = calls.recording_attachment_id
                calls.write(
                    {
                        "recording_archive_state": "expired",
                        "recording_attachment_id": False,
                    }
                )
                attachments.unlink()
                if not IrCron._commit_progress(len(calls)):
                    self.env.ref(CRON_XMLID)._trigger()
                    return
