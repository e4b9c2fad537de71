import logging

from odoo import http
from odoo.exceptions import AccessError
from odoo.http import request

from ..tools.providers import RecordingError
from ..tools.providers.base import open_recording

_logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
# What the browser needs of the center's answer to play and seek the audio.
RELAYED_HEADERS = (
    "Content-Type",
    "Content-Encoding",
    "Content-Length",
    "Content-Range",
    "Accept-Ranges",
    "ETag",
    "Last-Modified",
)


def _error(status, message):
    return request.make_response(
        message,
        headers=[("Content-Type", "text/plain; charset=utf-8")],
        status=status,
    )


class CallcenterRecordingController(http.Controller):
    @http.route(
        "/callcenter/call/<int:call_id>/recording",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def callcenter_recording(self, call_id, **_kwargs):
        """Play a call's recording: whoever may read the call may listen.

        A copy kept in Odoo plays from Odoo. Otherwise the browser is sent
        to the center's link (public, or signed and short-lived: asked of
        the provider now), or, when only Odoo may fetch it (credentials only
        Odoo holds, a link bound to Odoo's address or good for one
        download), the audio is relayed from the center (range requests
        too, so that the player can seek).
        """
        env = request.env
        call = env["crm.callcenter.call"].browse(call_id).exists()
        try:
            call.check_access("read")
        except AccessError:
            call = call.browse()
        if not call:
            return _error(404, env._("No such call, or you may not see it."))
        copy = call.sudo().recording_attachment_id
        if copy:
            _logger.info("User %s plays the recording of call %s", env.uid, call.id)
            # Odoo's own file: ranges and conditional requests as for any
            # attachment.
            response = (
                env["ir.binary"]
                ._get_stream_from(copy)
                .get_response(as_attachment=False)
            )
            response.headers["Cache-Control"] = "private, no-store"
            return response
        try:
            source = call._recording_source()
        except RecordingError as exc:
            return _error(404 if not call.has_recording else 502, str(exc))
        _logger.info("User %s plays the recording of call %s", env.uid, call.id)
        if not source.relayed:
            return request.redirect(source.url, local=False)
        timeout = call.provider_id.sudo()._get_adapter_config()["timeout"]
        try:
            upstream = open_recording(
                source, timeout, request.httprequest.headers.get("Range")
            )
        except RecordingError as exc:
            return _error(502, str(exc))
        relayed = [
            (name, upstream.headers[name])
            for name in RELAYED_HEADERS
            if upstream.headers.get(name)
        ]
        # The bytes as sent (no decoding): they match the relayed length.
        response = request.make_response(
            upstream.raw.stream(CHUNK_BYTES, decode_content=False),
            headers=[*relayed, ("Cache-Control", "private, no-store")],
            status=upstream.status_code,
        )
        response.call_on_close(upstream.close)
        return response
