"""Zadarma cloud PBX (also Novofon, Megacall): PBX call notifications and
the call-back API.

Zadarma posts one form-encoded notification per event to the URL set in its
personal account (*Settings → Integrations and API → Notifications*), with a
``Signature`` header::

    event=NOTIFY_END&call_start=2024-05-14+10%3A15%3A03
    &pbx_call_id=in_0f1e2d3c4b5a69788796a5b4c3d2e1f0&caller_id=79161234567
    &called_did=74951234567&internal=101&duration=77&disposition=answered
    &status_code=16&is_recorded=1&call_id_with_rec=1715670903.1234567

``Signature = base64(hex(HMAC-SHA1(api_secret, string)))`` where ``string``
joins some of the event's decoded values (see ``SIGNED_FIELDS``). Before
saving the URL Zadarma checks it with ``GET <url>?zd_echo=<random>`` and
expects the value echoed.

Events: ``NOTIFY_START`` (an inbound call enters the PBX), ``NOTIFY_IVR``,
``NOTIFY_INTERNAL`` (an extension rings), ``NOTIFY_ANSWER`` (an extension
answered), ``NOTIFY_END``; ``NOTIFY_OUT_START`` / ``NOTIFY_OUT_END`` for
outgoing calls; ``NOTIFY_RECORD`` when a recording is ready (after the end).
``pbx_call_id`` (``in_…`` / ``out_…``) is the call id. ``call_start`` is in
the time zone of the Zadarma account, which the provider record sets on the
adapter (``timezone``).
"""

import base64
import hashlib
import hmac
import re
from datetime import datetime
from urllib.parse import parse_qs, urlencode

import pytz

from odoo.tools.translate import LazyTranslate

from ..call_event import CallEvent, aware_to_utc
from ..signature import SignatureError
from .base import (
    OriginateError,
    OriginateResult,
    PayloadError,
    ProviderAdapter,
    RecordingError,
    RecordingSource,
    api_request,
    is_web_url,
    register,
)

_lt = LazyTranslate(__name__)

DEFAULT_API_URL = "https://api.zadarma.com"
CALLBACK_METHOD = "/v1/request/callback/"
RECORD_METHOD = "/v1/pbx/record/request/"
# Seconds the recording's download link lives (Zadarma: 180 at least).
RECORD_LINK_LIFETIME = 1800
TEST_MARKER = "odoo-test-"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_TEXT = 1024
MAX_ECHO = 256
_INBOUND = ("caller_id", "called_did", "call_start")
_OUTBOUND = ("internal", "destination", "call_start")
SIGNED_FIELDS = {
    "NOTIFY_START": _INBOUND,
    "NOTIFY_IVR": _INBOUND,
    "NOTIFY_INTERNAL": _INBOUND,
    "NOTIFY_END": _INBOUND,
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_OUT_START": _OUTBOUND,
    "NOTIFY_OUT_END": _OUTBOUND,
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}
# disposition → outcome of the whole call. "answered" is no outcome for an
# inbound call: an IVR answering counts too; only NOTIFY_ANSWER is an agent.
DISPOSITION_OUTCOMES = {
    "answered": None,
    "busy": "busy",
    "cancel": "cancelled",
    "no answer": "no_answer",
}
_NON_DIGITS = re.compile(r"\D")


def sign(secret, text):
    """``base64`` of the *hex* HMAC-SHA1 (PHP ``hash_hmac`` without raw)."""
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def signature_string(fields):
    """The string Zadarma signs for one notification (decoded values)."""
    names = SIGNED_FIELDS.get(fields.get("event"))
    if names is None:
        return None
    return "".join(fields.get(name, "") for name in names)


def api_signature(secret, method, params):
    """REST API ``Authorization`` signature of ``method`` with ``params``:
    ``base64(hex(HMAC-SHA1(secret, method + query + md5(query))))``, the
    query sorted by name and encoded as PHP's ``http_build_query`` (RFC 1738,
    spaces as ``+``). Returns ``(query, signature)``."""
    query = urlencode(sorted(params.items()))
    text = method + query + hashlib.md5(query.encode()).hexdigest()
    return query, sign(secret, text)


def make_correlation_id(extension, number):
    """What ties a call-back request to its events: Zadarma answers without
    a call id, and its NOTIFY_OUT_START carries ``internal`` (the agent's
    extension) and ``destination`` (the number dialed)."""
    digits = _NON_DIGITS.sub("", number or "")
    return f"zadarma:{(extension or '').strip()}:{digits}"


def _form(body):
    """Decoded form values (RFC 1738: ``+`` is a space; UTF-8 escapes)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError("body is not UTF-8 form data") from exc
    form = parse_qs(text, keep_blank_values=True)
    fields = {}
    for name, values in form.items():
        if len(values[0]) > MAX_TEXT:
            raise PayloadError(f"{name} is too long")
        fields[name] = values[0]
    return fields


def _request_key(fields):
    parts = [fields.get("event", ""), fields.get("pbx_call_id", "")]
    # An inbound call rings and is answered by several extensions: each of
    # their notifications is its own message.
    parts += [
        fields[name].strip()
        for name in ("internal", "destination", "call_id_with_rec")
        if fields.get(name, "").strip()
    ]
    return ":".join(parts)


def _seconds(fields, name):
    value = fields.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise PayloadError(f"{name} must be a number of seconds")
    return int(value)


@register
class ZadarmaAdapter(ProviderAdapter):
    code = "zadarma"
    can_originate = True
    recording_reference = "id"
    correlation_ids_recur = True

    def __init__(self, timezone=None):
        # IANA name of the Zadarma account's time zone (``call_start``).
        self.timezone = timezone

    # -- webhooks --------------------------------------------------------

    def verify(self, config, headers, body, url, now):
        secret = config.get("zadarma_api_secret")
        if not secret:
            raise SignatureError("the provider has no Zadarma API secret")
        received = headers.get("Signature")
        if not received:
            raise SignatureError("missing Signature header")
        try:
            fields = _form(body)
        except PayloadError as exc:
            raise SignatureError("body is not form data") from exc
        text = signature_string(fields)
        if text is None:
            raise SignatureError("notification of an unsupported event")
        if not hmac.compare_digest(sign(secret, text).encode(), received.encode()):
            raise SignatureError("Signature does not match")

    def handle_get(self, config, args, headers):
        """Zadarma's URL check: ``GET ?zd_echo=<value>`` answered with the
        value itself."""
        echo = args.get("zd_echo")
        if echo is None:
            return None
        if len(echo) > MAX_ECHO:
            return 400, "zd_echo is too long"
        return 200, echo

    def request_key(self, headers, body, events):
        return _request_key(_form(body))

    def reply(self, events):
        # An empty answer: a JSON body to NOTIFY_START would be a routing
        # command for the PBX.
        return 200, ""

    def parse(self, body, headers=None):
        raw = _form(body)
        fields = {name: value.strip() for name, value in raw.items()}
        name = fields.get("event")
        if name not in SIGNED_FIELDS:
            raise PayloadError("event must be one of " + ", ".join(SIGNED_FIELDS))
        call_id = fields.get("pbx_call_id")
        if not call_id:
            raise PayloadError("pbx_call_id is required")
        if call_id.startswith(TEST_MARKER):
            return []
        if fields.get("calltype") == "callback_leg1":
            # The PBX ringing our own agent first for a call-back: the call
            # with the customer (leg 2) is the one to log.
            return []
        started_at = self._call_start(fields.get("call_start"))
        event = CallEvent(
            provider=self.code,
            external_call_id=call_id,
            event=name,
            dedup_key=_request_key(raw),
            leg_id=call_id,
            direction="outbound" if call_id.startswith("out_") else "inbound",
            started_at=started_at,
        )
        if fields.get("internal"):
            event.leg_id = f"{call_id}:{fields['internal']}"
        handler = getattr(self, "_map_" + name[len("NOTIFY_") :].lower())
        handler(event, fields)
        return [event]

    def _call_start(self, value):
        """``call_start`` (account time zone) → naive UTC."""
        if not value:
            return None
        try:
            moment = datetime.strptime(value, DATETIME_FORMAT)
        except ValueError as exc:
            raise PayloadError("call_start must be YYYY-MM-DD HH:MM:SS") from exc
        try:
            zone = pytz.timezone(self.timezone or "UTC")
        except pytz.UnknownTimeZoneError as exc:
            raise PayloadError(f"unknown time zone {self.timezone!r}") from exc
        return aware_to_utc(zone.localize(moment, is_dst=False), "call_start")

    def _inbound(self, event, fields):
        event.direction = "inbound"
        event.from_number = fields.get("caller_id")
        event.to_number = fields.get("called_did")
        event.did = fields.get("called_did")

    def _outbound(self, event, fields):
        event.direction = "outbound"
        event.agent_extension = fields.get("internal") or None
        event.from_number = fields.get("internal")
        event.to_number = fields.get("destination")
        if fields.get("internal") and fields.get("destination"):
            event.correlation_id = make_correlation_id(
                fields["internal"], fields["destination"]
            )

    def _ending(self, event, fields):
        disposition = fields.get("disposition", "").lower()
        if disposition:
            # Other values (failed, no money, unallocated number, limits)
            # are failures of the whole call.
            event.outcome = DISPOSITION_OUTCOMES.get(disposition, "failed")
            status_code = fields.get("status_code")
            event.hangup_cause = (
                f"{disposition} ({status_code})" if status_code else disposition
            )
        if fields.get("is_recorded") == "1" and fields.get("call_id_with_rec"):
            event.recording_id = fields["call_id_with_rec"]
        event.state = "ended"
        return disposition

    def _map_start(self, event, fields):
        self._inbound(event, fields)
        event.state = "ringing"
        event.event_time = event.started_at

    _map_ivr = _map_start

    def _map_internal(self, event, fields):
        self._inbound(event, fields)
        event.state = "ringing"
        event.agent_extension = fields.get("internal") or None

    def _map_answer(self, event, fields):
        # Sent when an extension (or a number calls are forwarded to)
        # answers, never for the IVR: this is the agent's answer. Its time
        # is when it arrives (the notification carries the call's start).
        event.direction = "inbound"
        event.from_number = fields.get("caller_id")
        event.state = "answered"
        event.agent_extension = (
            fields.get("internal") or fields.get("destination") or None
        )

    def _map_end(self, event, fields):
        self._inbound(event, fields)
        self._ending(event, fields)
        # The extension of the end fills the agent in only when none rang.
        event.agent_extension = fields.get("internal") or None
        # ``duration`` may include IVR and ringing time: the talk time is
        # derived from the answer and the end instead.

    def _map_out_start(self, event, fields):
        self._outbound(event, fields)
        event.state = "ringing"
        event.event_time = event.started_at

    def _map_out_end(self, event, fields):
        self._outbound(event, fields)
        disposition = self._ending(event, fields)
        if disposition == "answered":
            # The agent placed the call: the customer answering it is the
            # call answered, and the length is the conversation.
            event.outcome = "answered"
            event.billsec = _seconds(fields, "duration")

    def _map_record(self, event, fields):
        event.recording_id = fields.get("call_id_with_rec") or None

    def sample_request(self, config, url, now):
        zone = pytz.timezone(self.timezone or "UTC")
        start = datetime.fromtimestamp(now, zone).strftime(DATETIME_FORMAT)
        fields = {
            "event": "NOTIFY_START",
            "call_start": start,
            "pbx_call_id": f"{TEST_MARKER}{now}",
            "caller_id": "10000000000",
            "called_did": "10000000001",
        }
        return urlencode(fields).encode(), {
            "Content-Type": "application/x-www-form-urlencoded",
            "Signature": sign(
                config.get("zadarma_api_secret") or "", signature_string(fields)
            ),
        }

    # -- call recordings -----------------------------------------------------

    def recording_source(self, config, recording_url, recording_id):
        """``GET /v1/pbx/record/request/?call_id=<call_id_with_rec>`` answers
        a download link that lives ``lifetime`` seconds:
        ``{"status": "success", "link": "…", "lifetime_till": "…"}``."""
        if not recording_id:
            return super().recording_source(config, recording_url, recording_id)
        key = config.get("zadarma_api_key")
        secret = config.get("zadarma_api_secret")
        if not (key and secret):
            raise RecordingError(
                _lt(
                    "Zadarma is not configured: set the API key and secret on "
                    "the provider."
                )
            )
        params = {
            "call_id": recording_id,
            "format": "json",
            "lifetime": str(RECORD_LINK_LIFETIME),
        }
        query, signature = api_signature(secret, RECORD_METHOD, params)
        base = (config.get("zadarma_api_url") or DEFAULT_API_URL).rstrip("/")
        try:
            response, doc = api_request(
                "GET",
                f"{base}{RECORD_METHOD}?{query}",
                provider="Zadarma",
                timeout=config["timeout"],
                headers={"Authorization": f"{key}:{signature}"},
            )
        except OriginateError as exc:
            raise RecordingError(str(exc)) from exc
        link = doc.get("link")
        if (
            response.status_code >= 400
            or doc.get("status") != "success"
            or not (isinstance(link, str) and is_web_url(link))
        ):
            message = str(doc.get("message") or response.reason or "")[:200]
            raise RecordingError(
                _lt(
                    "Zadarma did not give the recording (HTTP %(status)s): %(message)s",
                    status=response.status_code,
                    message=message,
                )
            )
        return RecordingSource(url=link)

    # -- click-to-call -----------------------------------------------------

    def originate(self, config, agent_extension, number, correlation_id):
        """``GET /v1/request/callback/?from=<extension>&to=<number>``: Zadarma
        rings the agent's extension, then calls the number.

        The answer (``{"status": "success", "from": 101, "to": 7916…,
        "time": …}``) has no call id: the call's events are matched to the
        click by :func:`make_correlation_id` (extension and number), which
        replaces the ``correlation_id`` Odoo proposed.
        """
        key = config.get("zadarma_api_key")
        secret = config.get("zadarma_api_secret")
        if not (key and secret):
            raise OriginateError(
                _lt(
                    "Zadarma is not configured: set the API key and secret on "
                    "the provider."
                )
            )
        if not agent_extension:
            raise OriginateError(
                _lt("You have no extension on this provider to call from.")
            )
        digits = _NON_DIGITS.sub("", number or "")
        params = {"from": agent_extension, "to": digits, "format": "json"}
        query, signature = api_signature(secret, CALLBACK_METHOD, params)
        base = (config.get("zadarma_api_url") or DEFAULT_API_URL).rstrip("/")
        response, doc = api_request(
            "GET",
            f"{base}{CALLBACK_METHOD}?{query}",
            provider="Zadarma",
            timeout=config["timeout"],
            headers={"Authorization": f"{key}:{signature}"},
        )
        message = str(doc.get("message") or response.reason or "")[:200]
        if response.status_code >= 400:
            raise OriginateError(
                _lt(
                    "Zadarma refused the call (HTTP %(status)s): %(message)s",
                    status=response.status_code,
                    message=message,
                )
            )
        if doc.get("status") != "success":
            raise OriginateError(
                _lt("Zadarma refused the call: %(message)s", message=message)
            )
        return OriginateResult(
            external_call_id=None,
            correlation_id=make_correlation_id(agent_extension, digits),
        )
