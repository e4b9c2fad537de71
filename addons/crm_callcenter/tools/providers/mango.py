"""Mango Office virtual PBX (VPBX API: realtime events, callback command).

Mango posts ``application/x-www-form-urlencoded`` bodies with three fields
to the base URL the administrator enters, plus its own path::

    POST <webhook URL>/events/call
    vpbx_api_key=<API key>&sign=<hex sha256(key + json + salt)>&json=<JSON>

The controller folds that path into the stored body (``odoo_path``, see
:meth:`MangoAdapter.stored_body`) so that a stored request parses alone;
without it the kind of message is told from the JSON's fields.

``/events/call`` (one per leg state change; ``entry_id`` is the call,
``call_id`` the leg, ``seq`` counts per leg and may arrive out of order)::

    {"entry_id": "MjU2OTQ4NDcyNzU6MTM1", "call_id": "MToxMDA1NzU5Mzo1MDI6",
     "timestamp": 1715670903, "seq": 2, "call_state": "Connected",
     "location": "abonent",          # ivr | queue | abonent
     "from": {"number": "79161234567", "taken_from_call_id": "..."},
     "to": {"extension": "101", "number": "sip:user101@x.mangosip.ru",
            "line_number": "74951234567", "acd_group": "200"},
     "command_id": "...", "callback_initiator": "API", "task_id": 12,
     "disconnect_reason": 1110}

``/events/summary`` (the end of the call)::

    {"entry_id": "...", "call_direction": 1,   # 0 internal, 1 in, 2 out
     "from": {"number": "79161234567"}, "to": {"extension": "101"},
     "line_number": "74951234567", "create_time": 1715670903,
     "forward_time": 1715670905, "talk_time": 1715670911,
     "end_time": 1715670980, "entry_result": 1, "disconnect_reason": 1110}

``/events/recording`` (``recording_state`` Started | Continued | Completed)
and ``/events/record/added`` carry ``entry_id`` and ``recording_id``;
``/result/callback`` answers our click-to-call (``command_id``, ``result``,
1000 = accepted).

Only an ``abonent`` leg that rings an employee (``to.extension``) and
connects is an agent's answer; an IVR or queue leg connecting is not.
"""

import hashlib
import hmac
import json
import urllib.parse

import requests

from odoo.tools import LazyTranslate

from ..call_event import CallEvent, unix_to_utc
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

DEFAULT_API_URL = "https://app.mango-office.ru/vpbx/"
# Field of the stored body that says which path Mango posted to.
PATH_FIELD = "odoo_path"
# Calls whose entry id starts with this are "Send Test Event" samples.
TEST_PREFIX = "odoo-test-"
CALL_STATES = ("Appeared", "Connected", "OnHold", "Disconnected")
RESULT_OK = 1000
MAX_TEXT = 1024

KIND_CALL = "events/call"
KIND_SUMMARY = "events/summary"
KIND_RECORDING = "events/recording"
KIND_RECORD_ADDED = "events/record/added"
KIND_CALLBACK_RESULT = "result/callback"


def mango_sign(api_key, json_text, salt):
    """``sign`` of a request: hex sha256 of key + json + salt (UTF-8)."""
    return hashlib.sha256((api_key + json_text + salt).encode()).hexdigest()


def _form(body):
    """The form fields of a body, last value of each."""
    try:
        text = body.decode("utf-8")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError("body is not a UTF-8 form") from exc
    return dict(pairs)


def _text(doc, key, required=False, where=""):
    value = doc.get(key)
    if isinstance(value, bool):
        raise PayloadError(f"{where}{key} must be a string")
    if isinstance(value, (int, float)):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PayloadError(f"{where}{key} is required")
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{where}{key} must be a string")
    if len(value) > MAX_TEXT:
        raise PayloadError(f"{where}{key} is too long")
    return value.strip()


def _int(doc, key, required=False):
    """Mango sends numbers as JSON numbers or as numeric strings."""
    value = doc.get(key)
    if value is None or value == "":
        if required:
            raise PayloadError(f"{key} is required")
        return None
    if isinstance(value, bool):
        raise PayloadError(f"{key} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"{key} must be an integer") from exc


def _time(doc, key):
    """Unix seconds → naive UTC; 0 means "did not happen"."""
    value = _int(doc, key)
    if not value:
        return None
    return unix_to_utc(value, key)


def _party(doc, key):
    value = doc.get(key)
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{key} must be an object")
    return value


def _external(number):
    """A phone number outside the PBX, or None (SIP URIs, empty)."""
    if number is None or isinstance(number, bool):
        return None
    text = str(number).strip()
    if not text or text.lower().startswith("sip:") or "@" in text:
        return None
    return text[:MAX_TEXT]


def _kind(doc):
    """Which message a JSON without a known path is, from its fields."""
    if "call_state" in doc:
        return KIND_CALL
    if "entry_result" in doc or "call_direction" in doc:
        return KIND_SUMMARY
    if "recording_state" in doc:
        return KIND_RECORDING
    if "recording_id" in doc and "entry_id" in doc:
        return KIND_RECORD_ADDED
    if "command_id" in doc and "result" in doc:
        return KIND_CALLBACK_RESULT
    return None


@register
class MangoAdapter(ProviderAdapter):
    code = "mango"
    can_originate = True
    recording_reference = "id"

    # -- webhooks --------------------------------------------------------

    def stored_body(self, body, suffix=None):
        """Keep Mango's path (``events/call``...) in the stored body.

        Appended last, so that it wins over a field of that name a sender
        might have put in the body; ``sign`` covers ``json`` only, which
        stays as received.
        """
        if suffix is None:
            return body
        suffix = suffix.strip("/")
        if not suffix.startswith(("events/", "result/")) or len(suffix) > 64:
            return None
        field = urllib.parse.urlencode({PATH_FIELD: suffix}).encode()
        return body + b"&" + field if body else field

    def verify(self, config, headers, body, url, now):
        api_key = config.get("mango_api_key")
        salt = config.get("mango_api_salt")
        if not api_key or not salt:
            raise SignatureError("the provider has no Mango API key and salt")
        try:
            form = _form(body)
        except PayloadError as exc:
            raise SignatureError("the body is not a form") from exc
        sign = form.get("sign")
        json_text = form.get("json")
        if not sign or json_text is None:
            raise SignatureError("missing sign or json")
        if not hmac.compare_digest(
            form.get("vpbx_api_key", "").encode(), api_key.encode()
        ):
            raise SignatureError("vpbx_api_key is not this provider's API key")
        expected = mango_sign(api_key, json_text, salt)
        if not hmac.compare_digest(sign.lower().encode(), expected.encode()):
            raise SignatureError("sign does not match")

    def _read(self, body):
        """``(kind, doc)`` of a stored or received body."""
        form = _form(body)
        json_text = form.get("json")
        if json_text is None:
            raise PayloadError("json field is missing")
        try:
            doc = json.loads(json_text)
        except ValueError as exc:
            raise PayloadError("json field is not valid JSON") from exc
        if not isinstance(doc, dict):
            raise PayloadError("json field must be a JSON object")
        return form.get(PATH_FIELD) or _kind(doc), doc

    def request_key(self, headers, body, events):
        if events:
            return super().request_key(headers, body, events)
        # Messages that change no call (recording started, accepted
        # callback, tests) are still stored once: key them by content.
        kind, _doc = self._read(body)
        digest = hashlib.sha256(_form(body)["json"].encode()).hexdigest()
        return f"{kind or 'unknown'}|{digest}"

    def parse(self, body, headers=None):
        kind, doc = self._read(body)
        entry_id = _text(doc, "entry_id")
        if entry_id and entry_id.startswith(TEST_PREFIX):
            return []
        if kind == KIND_CALL:
            return self._parse_call(doc)
        if kind == KIND_SUMMARY:
            return self._parse_summary(doc)
        if kind == KIND_RECORDING:
            return self._parse_recording(doc)
        if kind == KIND_RECORD_ADDED:
            return self._parse_record_added(doc)
        if kind == KIND_CALLBACK_RESULT:
            return self._parse_callback_result(doc)
        # DTMF, SMS, statistics...: accepted and stored, nothing to fold.
        return []

    def _parse_call(self, doc):
        entry_id = _text(doc, "entry_id", required=True)
        leg_id = _text(doc, "call_id", required=True)
        call_state = _text(doc, "call_state", required=True)
        if call_state not in CALL_STATES:
            raise PayloadError("call_state must be one of " + ", ".join(CALL_STATES))
        seq = _int(doc, "seq")
        at = _time(doc, "timestamp")
        location = _text(doc, "location")
        src, dst = _party(doc, "from"), _party(doc, "to")
        from_ext = _text(src, "extension", where="from.")
        to_ext = _text(dst, "extension", where="to.")
        command_id = _text(doc, "command_id")
        line = _external(dst.get("line_number")) or _external(src.get("line_number"))
        # A callback (ours, the widget's, a missed-call one) or a dialer
        # task first rings the employee with the customer's number shown as
        # the caller: it looks inbound but is outbound. A routing command on
        # an inbound call also carries command_id, with taken_from_call_id.
        callback = bool(
            _text(doc, "callback_initiator")
            or _text(doc, "task_id")
            or (command_id and not _text(src, "taken_from_call_id", where="from."))
        )
        if callback:
            direction = "outbound"
        elif from_ext and to_ext:
            # Employee to employee (also the consultation before a
            # transfer): not a customer's call.
            return []
        elif from_ext:
            direction = "outbound"
        else:
            direction = "inbound"

        state = None
        agent = None
        from_number = to_number = None
        if direction == "inbound":
            from_number = _external(src.get("number"))
            to_number = line
            agent = to_ext
            if call_state == "Appeared":
                state = "ringing"
            elif call_state == "Connected" and location == "abonent" and to_ext:
                state = "answered"
            elif call_state == "Connected":
                # The IVR or the queue took the call: it has started, no
                # agent has answered.
                state = "ringing"
        elif to_ext:
            # The employee's leg of a callback, the customer's number shown
            # as the caller: its Connected is the employee picking up, not
            # the customer; the summary tells whether the customer answered.
            agent = to_ext
            if not from_ext:
                to_number = _external(src.get("number"))
            if call_state == "Appeared":
                state = "ringing"
        else:
            # The employee dials the customer.
            agent = from_ext
            from_number = line
            to_number = _external(dst.get("number"))
            if call_state == "Appeared":
                state = "ringing"
            elif call_state == "Connected":
                state = "answered"

        return [
            CallEvent(
                provider=self.code,
                external_call_id=entry_id,
                event=f"call.{call_state}",
                dedup_key=f"call|{leg_id}|{seq if seq is not None else call_state}",
                state=state,
                direction=direction,
                event_time=at,
                leg_id=leg_id,
                sequence=seq,
                from_number=from_number,
                to_number=to_number,
                did=line,
                agent_extension=agent,
                # Every leg event happened after the call started.
                started_at=at,
                answered_at=at if state == "answered" else None,
                queue=_text(dst, "acd_group", where="to."),
                campaign_ref=_text(doc, "task_id"),
                correlation_id=command_id if direction == "outbound" else None,
            )
        ]

    def _parse_summary(self, doc):
        entry_id = _text(doc, "entry_id", required=True)
        call_direction = _int(doc, "call_direction")
        if call_direction not in (1, 2):
            # Internal calls are not customers' calls.
            return []
        direction = "inbound" if call_direction == 1 else "outbound"
        src, dst = _party(doc, "from"), _party(doc, "to")
        line = _external(doc.get("line_number")) or _external(dst.get("line_number"))
        answered = _int(doc, "entry_result") == 1
        talk_time = _time(doc, "talk_time")
        reason = _int(doc, "disconnect_reason")
        outcome = billsec = None
        if direction == "inbound":
            from_number = _external(src.get("number"))
            to_number = line
            # For a missed call "to" is the first employee who missed it.
            agent = _text(dst, "extension", where="to.") if answered else None
        else:
            from_number = line
            agent = _text(src, "extension", where="from.")
            to_number = _external(dst.get("number"))
            if not agent:
                # A callback: the employee is the called side.
                agent = _text(dst, "extension", where="to.")
                to_number = _external(src.get("number"))
            if not answered:
                # The customer never answered: whatever the employee's leg
                # did, there was no conversation.
                outcome = _outbound_failure(reason)
                billsec = 0
        return [
            CallEvent(
                provider=self.code,
                external_call_id=entry_id,
                event="summary",
                dedup_key=f"summary|{entry_id}",
                state="ended",
                direction=direction,
                event_time=_time(doc, "end_time"),
                from_number=from_number,
                to_number=to_number,
                did=line,
                agent_extension=agent,
                outcome=outcome,
                started_at=_time(doc, "create_time"),
                answered_at=talk_time if answered else None,
                ended_at=_time(doc, "end_time"),
                billsec=billsec,
                hangup_cause=str(reason) if reason else None,
            )
        ]

    def _parse_recording(self, doc):
        if _text(doc, "recording_state") != "Completed":
            return []
        code = _int(doc, "completion_code")
        if code not in (None, RESULT_OK):
            # Too short, billing: there is no file.
            return []
        return [self._recording_event(doc, "recording", _int(doc, "seq"))]

    def _parse_record_added(self, doc):
        return [self._recording_event(doc, "record_added", None)]

    def _recording_event(self, doc, name, seq):
        entry_id = _text(doc, "entry_id", required=True)
        recording_id = _text(doc, "recording_id", required=True)
        return CallEvent(
            provider=self.code,
            external_call_id=entry_id,
            event=name,
            dedup_key=f"{name}|{recording_id}|{seq or ''}",
            event_time=_time(doc, "timestamp"),
            leg_id=_text(doc, "call_id"),
            recording_id=recording_id,
        )

    def _parse_callback_result(self, doc):
        command_id = _text(doc, "command_id", required=True)
        result = _int(doc, "result")
        if result == RESULT_OK or command_id.startswith(TEST_PREFIX):
            return []
        # The call we placed never started: end the row made at the click.
        return [
            CallEvent(
                provider=self.code,
                external_call_id=command_id,
                event="result.callback",
                dedup_key=f"result|{command_id}",
                state="ended",
                direction="outbound",
                outcome="failed",
                billsec=0,
                hangup_cause=f"result {result}",
                correlation_id=command_id,
            )
        ]

    def sample_request(self, config, url, now):
        doc = {
            "entry_id": f"{TEST_PREFIX}{now}",
            "call_id": f"{TEST_PREFIX}{now}",
            "timestamp": now,
            "seq": 1,
            "call_state": "Appeared",
            "location": "ivr",
            "from": {"number": "70000000000"},
            "to": {"line_number": "70000000001"},
        }
        return self._signed_form(config, doc).encode(), {
            "Content-Type": "application/x-www-form-urlencoded"
        }

    # -- call recordings -----------------------------------------------------

    def recording_source(self, config, recording_url, recording_id):
        """``queries/recording/post`` with ``{"recording_id": …, "action":
        "download"}`` answers a redirect (302) to a one-shot download link
        on Mango's file host: the browser is sent there."""
        if not recording_id:
            return super().recording_source(config, recording_url, recording_id)
        self._check_credentials(config, RecordingError)
        base = config.get("mango_api_url") or DEFAULT_API_URL
        url = urllib.parse.urljoin(base.rstrip("/") + "/", "queries/recording/post")
        body = self._signed_form(
            config, {"recording_id": recording_id, "action": "download"}
        )
        response = self._post(config, url, body, RecordingError, allow_redirects=False)
        location = response.headers.get("Location")
        link = urllib.parse.urljoin(url, location) if location else None
        if response.status_code in (301, 302, 303, 307) and is_web_url(link):
            return RecordingSource(url=link)
        raise RecordingError(
            _lt(
                "Mango Office did not give the recording (HTTP %(status)s).",
                status=response.status_code,
            )
        )

    # -- click-to-call -----------------------------------------------------

    def _check_credentials(self, config, error):
        if not config.get("mango_api_key") or not config.get("mango_api_salt"):
            raise error(str(_lt("The Mango Office API key and salt are not set.")))

    def _post(self, config, url, body, error, **kwargs):
        """POST a signed form to Mango's API. A timeout, a connection failure
        or refused credentials raise ``error`` (OriginateError or
        RecordingError) with a message for the user."""
        try:
            response = requests.post(
                url,
                data=body.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=config["timeout"],
                **kwargs,
            )
        except requests.Timeout as exc:
            raise error(str(_lt("Mango Office did not answer in time."))) from exc
        except requests.RequestException as exc:
            raise error(str(_lt("Mango Office cannot be reached."))) from exc
        if response.status_code in (401, 403):
            raise error(str(_lt("Mango Office refused the API key or the signature.")))
        return response

    def _signed_form(self, config, doc):
        json_text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        api_key = config.get("mango_api_key") or ""
        return urllib.parse.urlencode(
            {
                "vpbx_api_key": api_key,
                "sign": mango_sign(
                    api_key, json_text, config.get("mango_api_salt") or ""
                ),
                "json": json_text,
            }
        )

    def callback_request(self, config, agent_extension, number, correlation_id):
        """``(url, form body)`` of ``commands/callback``."""
        doc = {
            "command_id": correlation_id,
            "from": {"extension": agent_extension},
            "to_number": number.lstrip("+"),
        }
        if config.get("mango_line_number"):
            doc["line_number"] = config["mango_line_number"].lstrip("+")
        base = config.get("mango_api_url") or DEFAULT_API_URL
        url = urllib.parse.urljoin(base.rstrip("/") + "/", "commands/callback")
        return url, self._signed_form(config, doc)

    def originate(self, config, agent_extension, number, correlation_id):
        self._check_credentials(config, OriginateError)
        url, body = self.callback_request(
            config, agent_extension, number, correlation_id
        )
        response = self._post(config, url, body, OriginateError)
        if response.status_code == 429:
            raise OriginateError(
                str(_lt("Too many calls placed at once: try again in a moment."))
            )
        if response.status_code != 200:
            raise OriginateError(
                str(
                    _lt(
                        "Mango Office answered with HTTP error %(status)s.",
                        status=response.status_code,
                    )
                )
            )
        try:
            result = int(response.json().get("result"))
        except (ValueError, TypeError, AttributeError) as exc:
            raise OriginateError(
                str(_lt("Mango Office sent an answer that cannot be read."))
            ) from exc
        if result != RESULT_OK:
            raise OriginateError(_result_message(result))
        return OriginateResult(correlation_id=correlation_id)


def _outbound_failure(reason):
    """Outcome of an outbound call nobody answered, from its reason code."""
    if reason is None:
        return "no_answer"
    # 2xxx billing, 32xx bad number, 5xxx Mango's own failures: the call
    # could not be placed at all.
    if 2000 <= reason < 3000 or 3200 <= reason < 3300 or 5000 <= reason < 6000:
        return "failed"
    return "no_answer"


def _result_message(result):
    if 2000 <= result < 3000:
        message = _lt(
            "Mango Office refused the call: check the account balance and "
            "limits (code %(code)s).",
            code=result,
        )
    elif 3000 <= result < 4000:
        message = _lt(
            "Mango Office refused the call: check the extension, the number "
            "and the line (code %(code)s).",
            code=result,
        )
    else:
        message = _lt(
            "Mango Office could not place the call (code %(code)s).", code=result
        )
    return str(message)
