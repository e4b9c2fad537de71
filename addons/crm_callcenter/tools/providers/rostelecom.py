"""Rostelecom virtual PBX (cloudpbx.rt.ru) integration API.

Both directions are JSON over HTTPS ``POST``, authenticated with two
headers: ``X-Client-ID`` (the domain's integration id) and
``X-Client-Sign`` = hex sha256 of client id + raw body + signing key.

The ``call_events`` webhook, one request per state change of a call
(``session_id`` is the call; ``timestamp`` is Moscow time)::

    {"session_id": "SDB0D6D2C0A1D5F9A", "timestamp": "2024-05-14 10:15:03.214",
     "type": "incoming",             # incoming | outbound | internal
     "state": "new",                 # new, calling, connected, disconnected,
                                     # end, analytics
     "from_number": "79161234567", "request_number": "74951234567",
     "request_pin": "101",           # employee's extension (field names vary)
     "is_record": "true"}            # on end

The events carry no duration: after ``end`` the call's details come from
the ``call_info`` API method and its recording link from ``get_record``.
Those requests run outside the webhook (a cron of the call model); their
answers are stored in the inbox as a details document that :meth:`parse`
reads too::

    {"odoo_details": {"session_id": "...", "direction": "inbound",
                      "method": "call_info",
                      "answer": {"result": "0", "info": {"start_call_date": ...,
                                 "duration": 77, "state": 1, ...}}}}

The public sources of this API are second-hand (PROTOCOLS.md §6.3,
confidence C): the names of the employee fields and the paths in the
``call_info`` / ``get_record`` answers are settings of the provider
(``options``), with the documented names as defaults.
"""

import hashlib
import hmac
import json
import re
import urllib.parse
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests

from odoo.tools import LazyTranslate

from ..call_event import CallEvent, aware_to_utc, unix_to_utc
from ..signature import SignatureError
from .base import (
    OriginateError,
    OriginateResult,
    PayloadError,
    ProviderAdapter,
    RecordingError,
    RecordingSource,
    is_web_url,
    register,
)

_lt = LazyTranslate(__name__, default_lang="en_US")

DEFAULT_API_URL = "https://api.cloudpbx.rt.ru/"
TEST_PREFIX = "odoo-test-"
DETAILS_KEY = "odoo_details"
DETAIL_METHODS = ("call_info", "get_record")
RESULT_OK = "0"
MAX_TEXT = 1024
DIRECTIONS = {"incoming": "inbound", "outbound": "outbound"}
# What the events and answers are read with, unless the provider says
# otherwise (crm.callcenter.provider rostelecom_* settings).
DEFAULT_OPTIONS = {
    "agent_fields": ("request_pin", "from_pin"),
    "name_field": None,
    "timezone": "Europe/Moscow",
    "answer_needs_agent": False,
    "info_start": "info.start_call_date",
    "info_duration": "info.duration",
    "info_state": "info.state",
    "info_accepted": "1",
    "record_url": "url",
    "callback_id": "session_id",
}
_SUFFIX_RE = re.compile(r"^[A-Za-z_]{1,64}$")


class RostelecomApiError(Exception):
    """The API refused a request or answered something unreadable."""


def client_sign(client_id, body, key):
    """``X-Client-Sign`` of a body (bytes)."""
    return hashlib.sha256(client_id.encode() + body + key.encode()).hexdigest()


def get_path(doc, path):
    """The value at a dotted ``path`` ("info.duration") of a JSON document."""
    value = doc
    for part in (path or "").split("."):
        if not part:
            return None
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _load(body):
    """JSON of a body in UTF-8, or in Windows-1251 as some domains send."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("cp1251", "replace")
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise PayloadError("body is not valid JSON") from exc
    if not isinstance(doc, dict):
        raise PayloadError("body must be a JSON object")
    return doc


def _text(value, field, required=False):
    if isinstance(value, bool):
        value = str(value).lower()
    elif isinstance(value, (int, float)):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PayloadError(f"{field} is required")
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{field} must be a string")
    if len(value) > MAX_TEXT:
        raise PayloadError(f"{field} is too long")
    return value.strip()


def _seconds(value, field):
    if value in (None, ""):
        return None
    try:
        seconds = int(float(value))
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"{field} must be a number of seconds") from exc
    if seconds < 0:
        raise PayloadError(f"{field} cannot be negative")
    return seconds


@register
class RostelecomAdapter(ProviderAdapter):
    code = "rostelecom"
    can_originate = True
    recording_reference = "id"

    def __init__(self):
        # Set by crm.callcenter.provider._get_adapter from its settings.
        self.options = dict(DEFAULT_OPTIONS)

    # -- webhooks --------------------------------------------------------

    def stored_body(self, body, suffix=None):
        """Re-encode Windows-1251 bodies to UTF-8 (the inbox stores text).

        A URL suffix (a method name such as ``call_events``) is accepted:
        the kind of request is told by its fields.
        """
        if suffix is not None and not _SUFFIX_RE.match(suffix.strip("/")):
            return None
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return body.decode("cp1251", "replace").encode()
        return body

    def verify(self, config, headers, body, url, now):
        client_id = config.get("rostelecom_client_id")
        key = config.get("rostelecom_sign_key")
        if not client_id or not key:
            raise SignatureError("the provider has no Rostelecom client id and key")
        sent_id = headers.get("X-Client-ID") or ""
        sent_sign = (headers.get("X-Client-Sign") or "").lower()
        if not sent_sign:
            raise SignatureError("missing X-Client-Sign")
        if not hmac.compare_digest(sent_id.encode(), client_id.encode()):
            raise SignatureError("X-Client-ID is not this provider's client id")
        expected = client_sign(client_id, body, key)
        if not hmac.compare_digest(sent_sign.encode(), expected.encode()):
            raise SignatureError("X-Client-Sign does not match")

    def request_key(self, headers, body, events):
        if events:
            return super().request_key(headers, body, events)
        return "other|" + hashlib.sha256(body).hexdigest()

    def reply(self, events):
        return 200, {"result": RESULT_OK, "resultMessage": "OK"}

    def parse(self, body, headers=None):
        doc = _load(body)
        if DETAILS_KEY in doc:
            return self._parse_details(doc[DETAILS_KEY])
        state = _text(doc.get("state"), "state")
        session_id = _text(doc.get("session_id"), "session_id")
        if not state or not session_id:
            # get_number_info, history_file_completed...: nothing to fold.
            return []
        if session_id.startswith(TEST_PREFIX):
            return []
        call_type = _text(doc.get("type"), "type")
        if call_type == "internal":
            return []
        at = self._time(doc.get("timestamp"), "timestamp")
        agent = None
        for field in self.options["agent_fields"]:
            agent = _text(doc.get(field), field)
            if agent:
                break
        event_state = None
        if state in ("new", "calling"):
            event_state = "ringing"
        elif state == "connected":
            if agent or not self.options["answer_needs_agent"]:
                event_state = "answered"
        elif state == "end":
            event_state = "ended"
        elif state != "disconnected":
            # analytics, or a state this version does not know.
            return []
        name_field = self.options["name_field"]
        is_record = _text(doc.get("is_record"), "is_record")
        digest = hashlib.sha256(body).hexdigest()[:16]
        return [
            CallEvent(
                provider=self.code,
                external_call_id=session_id,
                event=state,
                dedup_key=f"{session_id}|{state}|{digest}",
                state=event_state,
                direction=DIRECTIONS.get(call_type),
                event_time=at,
                leg_id=session_id,
                from_number=_text(doc.get("from_number"), "from_number"),
                to_number=_text(doc.get("request_number"), "request_number"),
                agent_extension=agent,
                started_at=at if state == "new" else None,
                answered_at=at if event_state == "answered" else None,
                ended_at=at if state == "end" else None,
                caller_name=_text(doc.get(name_field), name_field)
                if name_field
                else None,
                # The recording is fetched by session id once the call ended.
                recording_id=session_id
                if state == "end" and is_record == "true"
                else None,
            )
        ]

    def _time(self, value, field):
        """Local time of the domain ("2024-05-14 10:15:03.214"), an ISO
        date-time with an offset, or Unix seconds → naive UTC."""
        if value in (None, ""):
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            moment = unix_to_utc(value, field).replace(tzinfo=timezone.utc)
        elif isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError as exc:
                raise PayloadError(f"{field} is not a date-time") from exc
            if moment.tzinfo is None:
                try:
                    zone = ZoneInfo(self.options["timezone"] or "UTC")
                except (ZoneInfoNotFoundError, ValueError) as exc:
                    raise PayloadError("the provider's time zone is unknown") from exc
                moment = moment.replace(tzinfo=zone)
        else:
            raise PayloadError(f"{field} is not a date-time")
        return aware_to_utc(moment, field)

    def _parse_details(self, details):
        """A call_info or get_record answer, fetched after the call ended."""
        if not isinstance(details, dict):
            raise PayloadError(f"{DETAILS_KEY} must be a JSON object")
        session_id = _text(details.get("session_id"), "session_id", required=True)
        method = details.get("method")
        if method not in DETAIL_METHODS:
            raise PayloadError("method must be one of " + ", ".join(DETAIL_METHODS))
        answer = details.get("answer")
        if not isinstance(answer, dict):
            raise PayloadError("answer must be a JSON object")
        direction = details.get("direction")
        event = CallEvent(
            provider=self.code,
            external_call_id=session_id,
            event=method,
            dedup_key=f"{method}|{session_id}",
            direction=direction if direction in ("inbound", "outbound") else None,
        )
        options = self.options
        if method == "get_record":
            event.recording_url = _text(
                get_path(answer, options["record_url"]), options["record_url"]
            )
            return [event]
        start = self._time(get_path(answer, options["info_start"]), "start")
        duration = _seconds(get_path(answer, options["info_duration"]), "duration")
        # The end time stays the end event's: whether "duration" counts the
        # whole call or the talk is not confirmed, it only fills duration.
        event.started_at = start
        event.duration = duration
        state = get_path(answer, options["info_state"])
        if state is not None and str(state) != str(options["info_accepted"]):
            # Nobody took the call, whatever an IVR did: no talk time.
            event.outcome = "missed" if event.direction == "inbound" else "no_answer"
            event.billsec = 0
        return [event]

    def details_body(self, session_id, direction, method, answer):
        """The inbox body of an API answer about a call (see :meth:`parse`)."""
        return json.dumps(
            {
                DETAILS_KEY: {
                    "session_id": session_id,
                    "direction": direction,
                    "method": method,
                    "answer": answer,
                }
            },
            ensure_ascii=False,
        ).encode()

    def sample_request(self, config, url, now):
        body = json.dumps(
            {
                "session_id": f"{TEST_PREFIX}{now}",
                "timestamp": datetime.fromtimestamp(now, timezone.utc).strftime(
                    "%Y-%m-%d %H:%M:%S.000"
                ),
                "type": "incoming",
                "state": "new",
                "from_number": "70000000000",
                "request_number": "70000000001",
            },
            separators=(",", ":"),
        ).encode()
        return body, self._headers(config, body)

    # -- API (click-to-call, call details) ---------------------------------

    def _headers(self, config, body):
        client_id = config.get("rostelecom_client_id") or ""
        return {
            "Content-Type": "application/json; charset=utf-8",
            "X-Client-ID": client_id,
            "X-Client-Sign": client_sign(
                client_id, body, config.get("rostelecom_sign_key") or ""
            ),
        }

    def api_request(self, config, method, payload):
        """``(url, body, headers)`` of a signed API request."""
        base = config.get("rostelecom_api_url") or DEFAULT_API_URL
        url = urllib.parse.urljoin(base.rstrip("/") + "/", method)
        # ASCII JSON: the bytes signed are the bytes sent, whatever charset
        # the other side assumes.
        body = json.dumps(payload, separators=(",", ":")).encode()
        return url, body, self._headers(config, body)

    def parse_api_answer(self, status, content):
        """The JSON answer of an API request; RostelecomApiError unless it
        succeeded (HTTP 200 and ``result`` "0")."""
        if status in (401, 403):
            raise RostelecomApiError("the client id or the signing key was refused")
        if status != 200:
            raise RostelecomApiError(f"HTTP status {status}")
        try:
            answer = _load(content)
        except PayloadError as exc:
            raise RostelecomApiError("the answer is not a JSON object") from exc
        result = answer.get("result")
        if str(result) != RESULT_OK:
            message = str(answer.get("resultMessage") or "")[:200]
            raise RostelecomApiError(f"result {result}: {message}".strip(": "))
        return answer

    def api_call(self, config, method, payload):
        """Send one API request; the only place this adapter does HTTP."""
        url, body, headers = self.api_request(config, method, payload)
        try:
            response = requests.post(
                url, data=body, headers=headers, timeout=config["timeout"]
            )
        except requests.Timeout as exc:
            raise RostelecomApiError("no answer in time") from exc
        except requests.RequestException as exc:
            raise RostelecomApiError("the API cannot be reached") from exc
        return self.parse_api_answer(response.status_code, response.content)

    # -- call recordings ---------------------------------------------------

    def recording_source(self, config, recording_url, recording_id):
        """``get_record {"session_id"}`` answers a link good for one download
        from the address that asked for it: asked anew each time the audio
        is played (each range the player asks for, too), and relayed by
        Odoo. A link fetched after the call (``recording_url``) is only
        used when the call has no session id to ask with."""
        if not recording_id:
            if not is_web_url(recording_url):
                raise RecordingError(_lt("This call has no recording."))
            return RecordingSource(url=recording_url, relay=True)
        if not config.get("rostelecom_client_id") or not config.get(
            "rostelecom_sign_key"
        ):
            raise RecordingError(
                _lt("The Rostelecom client id and signing key are not set.")
            )
        try:
            answer = self.api_call(config, "get_record", {"session_id": recording_id})
            link = get_path(answer, self.options["record_url"])
        except RostelecomApiError as exc:
            raise RecordingError(
                _lt("Rostelecom did not give the recording: %(error)s", error=exc)
            ) from exc
        if not (isinstance(link, str) and is_web_url(link)):
            raise RecordingError(
                _lt("Rostelecom answered without a link to the recording.")
            )
        return RecordingSource(url=link, relay=True)

    def sip_uri(self, config, agent_extension):
        if "@" in agent_extension:
            return (
                agent_extension
                if agent_extension.startswith("sip:")
                else f"sip:{agent_extension}"
            )
        domain = config.get("rostelecom_sip_domain")
        if not domain:
            raise OriginateError(
                str(_lt("Set the SIP domain of the Rostelecom provider first."))
            )
        return f"sip:{agent_extension}@{domain}"

    def originate(self, config, agent_extension, number, correlation_id):
        if not config.get("rostelecom_client_id") or not config.get(
            "rostelecom_sign_key"
        ):
            raise OriginateError(
                str(_lt("The Rostelecom client id and signing key are not set."))
            )
        payload = {
            "request_number": number.lstrip("+"),
            "from_sipuri": self.sip_uri(config, agent_extension),
        }
        try:
            answer = self.api_call(config, "call_back", payload)
            session_id = _text(
                get_path(answer, self.options["callback_id"]), "session_id"
            )
        except (RostelecomApiError, PayloadError) as exc:
            raise OriginateError(
                str(_lt("Rostelecom could not place the call: %(error)s", error=exc))
            ) from exc
        return OriginateResult(
            external_call_id=session_id, correlation_id=correlation_id
        )
