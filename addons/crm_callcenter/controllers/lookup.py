import logging
import re
import time

from odoo import http
from odoo.http import request

from ..tools.phone import is_hidden_number, normalize_number
from ..tools.rate_limit import TokenBucketLimiter
from ..tools.signature import SignatureError

_logger = logging.getLogger(__name__)

MAX_NUMBER_LENGTH = 32
E164_RE = re.compile(r"^\+[1-9]\d{5,14}$")
# What the lookup reads of the provider, loaded with the token search.
PROVIDER_FIELDS = [
    "code",
    "company_id",
    "default_country_id",
    "dialout_prefix",
    "lookup_rate",
    "lookup_burst",
    "request_timeout",
    "webhook_secret",
]

# Per process (see tools/rate_limit.py): each worker counts on its own.
limiter = TokenBucketLimiter()


def _error(status, reason, headers=None):
    return request.make_json_response(
        {"status": "error", "error": reason}, headers=headers, status=status
    )


class CallcenterLookupController(http.Controller):
    @http.route(
        "/callcenter/lookup/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def callcenter_lookup(self, token, number=None, **_kwargs):
        """Tell the PBX who calls from ``number`` and who should answer.

        ``{"found": true, "name", "agent_extension", "agent", "lead_id",
        "partner_id"}`` for a known caller, ``{"found": false}`` otherwise.
        A read-only route: it can be served by a read replica.
        """
        provider = request.env["crm.callcenter.provider"]._get_by_webhook_token(
            token, PROVIDER_FIELDS
        )
        if not provider:
            return _error(404, "unknown lookup URL")
        httprequest = request.httprequest
        # Refused lookups count too: a wrong signature is no way around it.
        wait = limiter.take(
            (request.db, provider.id, httprequest.remote_addr),
            provider.lookup_rate,
            provider.lookup_burst,
        )
        if wait:
            return _error(429, "too many requests", [("Retry-After", str(wait))])
        # What a signing provider signs: the path and the query as sent.
        target = httprequest.path.encode()
        if httprequest.query_string:
            target += b"?" + httprequest.query_string
        try:
            provider._get_adapter().verify_lookup(
                provider._get_adapter_config(),
                httprequest.headers,
                target,
                httprequest.url,
                int(time.time()),
            )
        except SignatureError as exc:
            _logger.warning(
                "Call center lookup of provider %s refused: %s", provider.id, exc
            )
            return _error(401, "invalid signature")
        raw = (number or "").strip()
        if not raw or len(raw) > MAX_NUMBER_LENGTH:
            return _error(400, "number is missing or too long")
        e164 = normalize_number(
            raw, provider.default_country_id.code, provider.dialout_prefix
        )
        if is_hidden_number(raw):
            # A withheld caller ID ("anonymous"...): nobody, as for a number
            # nobody has, so that the PBX routes the call its default way.
            return request.make_json_response({"found": False})
        if not E164_RE.match(e164):
            return _error(400, "number is not a phone number")
        return request.make_json_response(provider._lookup_caller(e164))
