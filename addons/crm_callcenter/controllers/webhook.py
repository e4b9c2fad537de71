import logging
import time
from urllib.parse import urlencode

from odoo import http
from odoo.http import request

from ..tools.providers import PayloadError
from ..tools.signature import SignatureError

_logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
MAX_DEDUP_KEY = 255


def _error(status, reason):
    return request.make_json_response(
        {"status": "error", "error": reason}, status=status
    )


def _answer(status, body):
    """An adapter's reply: JSON for dicts and lists, plain text otherwise."""
    if isinstance(body, (dict, list)):
        return request.make_json_response(body, status=status)
    return request.make_response(
        body or "",
        headers=[("Content-Type", "text/plain; charset=utf-8")],
        status=status,
    )


class CallcenterWebhookController(http.Controller):
    @http.route(
        [
            "/callcenter/webhook/<string:token>",
            # Providers that append their own path to the URL (Mango).
            "/callcenter/webhook/<string:token>/<path:suffix>",
        ],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def callcenter_webhook(self, token, suffix=None, **_kwargs):
        """Receive provider events: authenticate, parse, store, fold.

        Nothing is stored unless the request is authentic and parses; once
        stored, a processing failure is kept for the retry cron and the
        provider still gets its success answer (it must not resend).
        """
        provider = request.env["crm.callcenter.provider"]._get_by_webhook_token(token)
        if not provider:
            return _error(404, "unknown webhook")
        httprequest = request.httprequest
        if suffix is not None and httprequest.method == "GET":
            return _error(404, "unknown webhook")
        if httprequest.method == "GET":
            # URL checks (Zadarma's zd_echo); most providers never GET.
            answer = provider._get_adapter().handle_get(
                provider._get_adapter_config(), httprequest.args, httprequest.headers
            )
            if answer is None:
                return _error(405, "method not allowed")
            return _answer(*answer)
        if (httprequest.content_length or 0) > MAX_BODY_BYTES:
            return _error(413, "body too large")
        body = httprequest.get_data()
        if not body and httprequest.form:
            # Odoo parses form-encoded bodies (Twilio, Zadarma...) before the
            # route runs, which consumes the raw bytes: rebuild the body from
            # the parsed values, which is what form signatures cover.
            body = urlencode(list(httprequest.form.items(multi=True))).encode()
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "body too large")

        adapter = provider._get_adapter()
        headers = httprequest.headers
        # What is parsed and stored; the signature is checked on the body
        # as received.
        stored = adapter.stored_body(body, suffix)
        if stored is None:
            return _error(404, "unknown webhook")
        try:
            adapter.verify(
                provider._get_adapter_config(),
                headers,
                body,
                httprequest.url,
                int(time.time()),
            )
        except SignatureError as exc:
            _logger.warning(
                "Call center webhook of provider %s refused: %s", provider.id, exc
            )
            provider._register_rejection()
            return _error(401, "invalid signature")

        try:
            events = adapter.parse(stored, headers)
        except PayloadError as exc:
            return _error(400, str(exc))
        dedup_key = adapter.request_key(headers, stored, events)
        if not dedup_key or len(dedup_key) > MAX_DEDUP_KEY:
            return _error(400, "missing or oversized event id")

        provider = provider.with_company(provider.company_id)
        request.env["crm.callcenter.event"].with_company(provider.company_id)._receive(
            provider, dedup_key, stored.decode("utf-8", "replace"), events
        )
        return _answer(*adapter.reply(events))
