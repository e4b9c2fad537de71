import logging
import time

from odoo import http
from odoo.addons.crm_callcenter.tools import signature
from odoo.http import request

from ..tools import http_gateway, smsc

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


def _error(status, reason):
    return request.make_json_response(
        {"status": "error", "error": reason}, status=status
    )


def _ok():
    return request.make_json_response({"status": "ok"})


class CrmCallcenterSmsController(http.Controller):
    @http.route(
        "/crm_callcenter_sms/smsc/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def smsc_status(self, token, **_kwargs):
        """SMSC delivery report: ``id``, ``phone``, ``status``, ``err``
        (names configurable on the gateway), authenticated by the secret
        token of the URL."""
        gateway = request.env["crm.callcenter.sms.gateway"]._get_by_callback_token(
            token, "smsc"
        )
        if not gateway:
            return _error(404, "unknown gateway")
        params = request.httprequest.values
        message_id = params.get(gateway.smsc_cb_id_field or "id")
        status = smsc.SmscClient.parse_status(
            params.get(gateway.smsc_cb_status_field or "status"),
            params.get(gateway.smsc_cb_error_field or "err"),
        )
        if not message_id or status is None:
            return _error(400, "missing message id or status")
        log = gateway._find_log(message_id)
        if not log:
            return _error(404, "unknown message")
        log._apply_status(status)
        return _ok()

    @http.route(
        "/crm_callcenter_sms/webhook/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def http_status(self, token, **_kwargs):
        """Delivery report of a generic HTTP gateway, Standard Webhooks signed."""
        gateway = request.env["crm.callcenter.sms.gateway"]._get_by_callback_token(
            token, "http"
        )
        if not gateway:
            return _error(404, "unknown gateway")
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > MAX_BODY_BYTES:
            return _error(413, "body too large")
        body = httprequest.get_data()
        headers = httprequest.headers
        try:
            signature.verify(
                gateway.sudo().http_webhook_secret,
                headers.get("webhook-id"),
                headers.get("webhook-timestamp"),
                headers.get("webhook-signature"),
                body,
                int(time.time()),
            )
        except signature.SignatureError as exc:
            _logger.warning(
                "SMS delivery report of gateway %s refused: %s", gateway.id, exc
            )
            return _error(401, "invalid signature")
        try:
            message_id, status = http_gateway.HttpGatewayClient.parse_callback(body)
        except ValueError as exc:
            return _error(400, str(exc))
        log = gateway._find_log(message_id)
        if not log:
            return _error(404, "unknown message")
        log._apply_status(status)
        return _ok()
