"""Asterisk REST Interface (ARI): call events over a websocket, click-to-call
with ``POST /ari/channels``.

Odoo only watches the calls; it never controls them. The listener
(``odoo-bin callcenter_listen``) holds
``ws[s]://<host>:8088/ari/events?app=<app>&subscribeAll=true``, one JSON
object per text frame::

    {"type": "Dial", "timestamp": "2024-05-14T10:15:11.402+0300",
     "application": "odoo", "dialstatus": "ANSWER", "dialstring": "101",
     "caller": <Channel>, "peer": <Channel>}

    Channel = {"id": "1715670903.412", "name": "PJSIP/trunk-rt-0000011a",
               "state": "Ring", "caller": {"name": "", "number": "79161234567"},
               "connected": {"name": "", "number": ""},
               "dialplan": {"context": "from-trunk", "exten": "74951234567",
                            "priority": 1},
               "creationtime": "2024-05-14T10:15:03.090+0300",
               "channelvars": {"CHANNEL(linkedid)": "1715670903.412"}}

One call from its channels
--------------------------
Asterisk makes one channel per leg: the customer's trunk channel, the agent's
phone, Local channels of queues and ring groups, transfer targets. The call
they belong to is Asterisk's *linkedid* (the id of the call's first channel,
inherited by every channel created for it). ARI does not put it in the
channel object, but ``ari.conf`` can: ``channelvars = CHANNEL(linkedid)``
adds it to every channel of every event, and this adapter requires it.
Listed there too, ``MIXMONITOR_FILENAME`` (set by MixMonitor on the channel
it records) or the dialplan's own ``CRM_RECORDING`` name the call's
recording: a file played from the web server that serves the recordings
folder (provider settings), or a URL.

So every message names its call by itself: nothing is remembered from one
message to the next, a listener restart (or a message parsed again by the
retry cron from the stored body) maps channels to calls exactly as before.
The *root* channel of a call is the one whose id is the linkedid.

Which channel is the customer's is configuration: the provider's trunk
endpoints (patterns such as ``trunk-*``), matched against channel names
(``PJSIP/trunk-rt-0000011a`` is endpoint ``trunk-rt``). Then:

* the root is a trunk channel: an **inbound** call, from ``caller.number``
  to the dialled ``dialplan.exten`` (the DID) of the first event;
* the root is a channel Odoo originated (id ``odoo-...``) or a phone that
  dials a trunk: an **outbound** call; the trunk channel is the customer's;
* anything else (phone to phone, queues calling members) is internal to
  the PBX: nothing is stored.

Events (other messages are ignored):

* ``ChannelCreated``/``StasisStart`` of a root: ringing.
* ``Dial`` from an inbound call's root to a non-trunk peer: ringing while it
  rings, **answered** on ``ANSWER`` (the agent's channel is Up), with the
  peer's extension (``PJSIP/101-...`` and ``Local/101@from-queue-...`` are
  ``101``). The trunk channel answered by the dialplan (IVR, queue
  announcement) is never an answer: ``ChannelStateChange`` only keeps the
  call's details.
* ``Dial`` from an outbound call's root to the customer: ringing, answered
  on ``ANSWER`` (the customer picked up), agent = the root's extension.
* ``BridgeAttendedTransfer`` of an inbound root to another extension:
  answered by the transfer target (a blind transfer is a new ``Dial`` from
  the root).
* ``ChannelHangupRequest`` (not soft) and ``ChannelDestroyed`` of a root or
  of an outbound call's trunk channel: ended. ARI gives no durations: the
  fold derives them from the times; talk time starts at the agent's answer.
  Outbound calls ended with cause 17 (user busy) are ``busy``; other
  outcomes are derived (missed / no answer).
* ``ApplicationReplaced`` (another client took the application):
  :class:`StreamError`.
"""

import base64
import fnmatch
import hashlib
import json
import logging
import re
from datetime import datetime
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from odoo.tools.translate import LazyTranslate

from ..call_event import CallEvent, aware_to_utc
from ..signature import SignatureError
from .base import (
    DEFAULT_TIMEOUT,
    OriginateError,
    OriginateResult,
    PayloadError,
    ProviderAdapter,
    StreamError,
    is_web_url,
    register,
)

_logger = logging.getLogger(__name__)

LINKEDID_VAR = "CHANNEL(linkedid)"
# Channels Odoo originates get this id prefix: their events are recognized
# as click-to-call calls, and the rest of the id is the correlation id.
ORIGINATE_PREFIX = "odoo-"
CORRELATION_VAR = "CRM_CORRELATION_ID"
# Channel variables naming the call's recording, when ari.conf's channelvars
# lists them: the dialplan's own (a path or a URL), then the file MixMonitor
# writes (it sets MIXMONITOR_FILENAME on the channel it records).
RECORDING_VARS = ("CRM_RECORDING", "MIXMONITOR_FILENAME")
MAX_RECORDING = 1024
_SAFE_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_OFFSET_RE = re.compile(r"([+-]\d{2})(\d{2})$")
_SUFFIX_RE = re.compile(r"-[0-9a-fA-F]+$")
# Dial statuses while the peer still rings.
RINGING_STATUSES = ("", "RINGING", "PROGRESS")
# Q.850 cause codes as the normalized names of the common event model.
CAUSES = {
    1: "UNALLOCATED_NUMBER",
    16: "NORMAL_CLEARING",
    17: "USER_BUSY",
    18: "NO_USER_RESPONSE",
    19: "NO_ANSWER",
    20: "SUBSCRIBER_ABSENT",
    21: "CALL_REJECTED",
    26: "ANSWERED_ELSEWHERE",
    27: "DESTINATION_OUT_OF_ORDER",
    28: "INVALID_NUMBER_FORMAT",
    31: "NORMAL_UNSPECIFIED",
    34: "NORMAL_CIRCUIT_CONGESTION",
    38: "NETWORK_OUT_OF_ORDER",
    41: "NORMAL_TEMPORARY_FAILURE",
    42: "SWITCH_CONGESTION",
}
CAUSE_BUSY = 17
NO_NUMBER = ("", "anonymous", "unknown", "<unknown>", "restricted", "s")

# Messages shown to the user who clicked to call, translated when shown.
_lt = LazyTranslate(__name__, default_lang="en_US")
MSG_NOT_CONFIGURED = _lt("The Asterisk ARI URL, user or password is not set.")
MSG_NO_EXTENSION = _lt("You have no extension on this PBX.")
MSG_TIMEOUT = _lt("The PBX did not answer in time.")
MSG_UNREACHABLE = _lt("Cannot reach the PBX.")
MSG_AUTH = _lt("The PBX refused Odoo's ARI user or password.")
MSG_REJECTED = _lt(
    "The PBX rejected the call (check the extension, the endpoint pattern "
    "and the context)."
)
MSG_FAILED = _lt("The PBX could not place the call.")


def parse_time(value):
    """ARI time (``2024-05-14T10:15:03.101+0300``) → naive UTC, or None."""
    if not value or not isinstance(value, str):
        return None
    text = _OFFSET_RE.sub(r"\1:\2", value.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        return aware_to_utc(moment, "time")
    except PayloadError:
        return None


def split_channel_name(name):
    """``PJSIP/101-0000011b`` → ``("PJSIP", "101")``; Local channels
    (``Local/101@from-queue-00000012;1``) → ``("Local", "101@from-queue")``."""
    tech, _sep, resource = (name if isinstance(name, str) else "").partition("/")
    if not resource:
        return tech, ""
    resource = resource.split(";", 1)[0]
    return tech, _SUFFIX_RE.sub("", resource, count=1)


def _number(value):
    text = (value or "").strip() if isinstance(value, str) else ""
    return None if text.lower() in NO_NUMBER else text


def _cause_name(cause, cause_txt=None):
    if isinstance(cause, int) and cause in CAUSES:
        return CAUSES[cause]
    if cause_txt:
        return re.sub(r"\W+", "_", cause_txt.strip()).strip("_").upper() or None
    return None


def _channel(doc, key, required=False):
    channel = doc.get(key)
    if channel is None and not required:
        return None
    if not isinstance(channel, dict) or not isinstance(channel.get("id"), str):
        raise PayloadError(f"{key} must be an ARI channel object")
    return channel


def _party(channel, key):
    party = channel.get(key)
    return party if isinstance(party, dict) else {}


def _dialplan(channel):
    dialplan = channel.get("dialplan")
    return dialplan if isinstance(dialplan, dict) else {}


@register
class AsteriskAriAdapter(ProviderAdapter):
    code = "asterisk_ari"
    websocket = True
    can_originate = True
    recording_reference = "file"

    def __init__(self, trunks=None):
        self.trunk_patterns = []
        self.set_trunks(trunks)

    def set_trunks(self, trunks):
        """Trunk endpoints: a comma/space separated list of names or
        patterns (``trunk-*``, ``PJSIP/sipnet``), case-insensitive."""
        if isinstance(trunks, str):
            trunks = re.split(r"[\s,;]+", trunks)
        self.trunk_patterns = [p.strip().lower() for p in trunks or () if p.strip()]

    # -- channels ------------------------------------------------------------

    def is_trunk(self, channel):
        tech, resource = split_channel_name(channel.get("name"))
        if not resource or tech.lower() == "local":
            return False
        resource = resource.lower()
        full = f"{tech.lower()}/{resource}"
        return any(
            fnmatch.fnmatchcase(full if "/" in pattern else resource, pattern)
            for pattern in self.trunk_patterns
        )

    @staticmethod
    def extension(channel):
        """The extension (endpoint) a channel rings or comes from."""
        _tech, resource = split_channel_name(channel.get("name"))
        # Local/101@from-queue: the extension dialled in that context.
        return resource.split("@", 1)[0] or None

    @staticmethod
    def call_id(channel):
        """The linkedid of a channel (see the module docstring)."""
        variables = channel.get("channelvars")
        if isinstance(variables, dict):
            for key, value in variables.items():
                if key.lower() == LINKEDID_VAR.lower() and value:
                    return str(value)
        raise PayloadError(
            "channel without CHANNEL(linkedid): add 'channelvars = "
            "CHANNEL(linkedid)' to the [general] section of Asterisk's ari.conf"
        )

    @staticmethod
    def recording(channel):
        """The recording a channel's variables name (see RECORDING_VARS)."""
        variables = (channel or {}).get("channelvars")
        if not isinstance(variables, dict):
            return None
        by_name = {str(key).upper(): value for key, value in variables.items()}
        for name in RECORDING_VARS:
            value = by_name.get(name)
            if isinstance(value, str) and value.strip():
                return value.strip()[:MAX_RECORDING]
        return None

    @classmethod
    def is_root(cls, channel):
        return cls.call_id(channel) == channel["id"]

    @staticmethod
    def originated_by_odoo(channel):
        return channel["id"].startswith(ORIGINATE_PREFIX)

    def _kind(self, channel):
        """``"inbound"``/``"outbound"`` for the root of a tracked call,
        ``"customer"`` for the trunk channel of an outbound call, else None."""
        if self.is_root(channel):
            if self.is_trunk(channel):
                return "inbound"
            if self.originated_by_odoo(channel):
                return "outbound"
            return None
        if self.is_trunk(channel):
            return "customer"
        return None

    # -- webhooks: none ----------------------------------------------------------

    def verify(self, config, headers, body, url, now):
        raise SignatureError(
            "Asterisk ARI sends its events over the websocket the listener "
            "holds, never to the webhook URL"
        )

    # -- parsing -------------------------------------------------------------

    def parse(self, body, headers=None):
        if isinstance(body, bytes):
            try:
                body = body.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise PayloadError("body is not UTF-8") from exc
        try:
            return self.ws_parse(body)[1]
        except StreamError as exc:
            # A stream-control message (ApplicationReplaced) stored by hand
            # and reprocessed: there is no stream here, and no event in it.
            raise PayloadError(str(exc)) from exc

    def ws_parse(self, message):
        try:
            doc = json.loads(message)
        except ValueError as exc:
            raise PayloadError("message is not valid JSON") from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
            raise PayloadError("message must be a JSON object with a type")
        kind = doc["type"]
        if kind == "ApplicationReplaced":
            raise StreamError(
                f"another client connected with ARI application "
                f"{doc.get('application')!r}: Odoo no longer receives its events"
            )
        handler = self.HANDLERS.get(kind)
        events = getattr(self, handler)(doc) if handler else []
        if not events:
            return None, []
        return self._dedup_key(doc, events[0].leg_id), events

    @staticmethod
    def _dedup_key(doc, leg_id):
        # ARI messages carry no id: type, leg and time say what it is, a digest
        # of the canonical message tells apart two at the same millisecond.
        canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
        leg = (leg_id or "")[:100]
        return f"ari:{doc['type']}:{leg}:{doc.get('timestamp', '')}:{digest}"

    def _event(self, doc, call_channel, leg_channel, kind, **values):
        """A CallEvent of the call of ``call_channel`` (its root or, for an
        outbound call's customer channel, the call it belongs to)."""
        call_id = self.call_id(call_channel)
        event = CallEvent(
            provider=self.code,
            external_call_id=call_id,
            event=doc["type"],
            dedup_key="",
            direction="inbound" if kind == "inbound" else "outbound",
            event_time=parse_time(doc.get("timestamp")),
            leg_id=leg_channel["id"],
        )
        if call_id.startswith(ORIGINATE_PREFIX):
            event.correlation_id = call_id[len(ORIGINATE_PREFIX) :]
        if kind == "inbound":
            root = call_channel
            caller = _party(root, "caller")
            event.from_number = _number(caller.get("number"))
            event.caller_name = (caller.get("name") or "").strip() or None
            event.started_at = parse_time(root.get("creationtime"))
        elif kind == "outbound":
            event.started_at = parse_time(call_channel.get("creationtime"))
            if self.originated_by_odoo(call_channel):
                event.agent_extension = self.extension(call_channel)
        recording = self.recording(call_channel) or self.recording(leg_channel)
        if recording:
            if is_web_url(recording):
                event.recording_url = recording
            else:
                event.recording_id = recording
        for key, value in values.items():
            setattr(event, key, value)
        if event.state == "ended" and event.ended_at is None:
            event.ended_at = event.event_time
        return event

    def _on_channel_start(self, doc):
        channel = _channel(doc, "channel", required=True)
        kind = self._kind(channel)
        if kind == "inbound":
            # The dialled number is only sure on the first event: the
            # dialplan moves the channel to other extensions later.
            exten = _number(_dialplan(channel).get("exten"))
            return [
                self._event(
                    doc,
                    channel,
                    channel,
                    kind,
                    state="ringing",
                    to_number=exten,
                    did=exten,
                )
            ]
        if kind == "outbound":
            return [self._event(doc, channel, channel, kind, state="ringing")]
        return []

    def _on_ChannelStateChange(self, doc):
        channel = _channel(doc, "channel", required=True)
        kind = self._kind(channel)
        if kind not in ("inbound", "outbound"):
            return []
        # The customer's channel answered by the dialplan (IVR, queue) or the
        # agent's phone picking up a click-to-call: details only, no answer.
        return [self._event(doc, channel, channel, kind)]

    def _on_Dial(self, doc):
        peer = _channel(doc, "peer", required=True)
        caller = _channel(doc, "caller")
        status = doc.get("dialstatus") or ""
        if not isinstance(status, str):
            raise PayloadError("dialstatus must be a string")
        if caller is None or not self.is_root(caller):
            # Dials of Local channels and transfers repeat what the root's
            # own Dial says; without the root we cannot tell internal calls.
            return []
        if status in RINGING_STATUSES:
            state = "ringing"
        elif status == "ANSWER":
            state = "answered"
        else:
            return []
        moment = parse_time(doc.get("timestamp"))
        answered_at = moment if state == "answered" else None
        if self.is_trunk(caller):
            if self.is_trunk(peer):
                return []  # forwarded to an outside number: not an agent
            return [
                self._event(
                    doc,
                    caller,
                    peer,
                    "inbound",
                    event=f"Dial:{status or 'begin'}",
                    state=state,
                    agent_extension=self.extension(peer),
                    answered_at=answered_at,
                )
            ]
        if not (self.originated_by_odoo(caller) or self.is_trunk(peer)):
            return []  # phone to phone: internal
        dialled = (doc.get("dialstring") or "").split("@", 1)[0]
        return [
            self._event(
                doc,
                caller,
                peer,
                "outbound",
                event=f"Dial:{status or 'begin'}",
                state=state,
                # The phone's caller id may already be the company's number.
                from_number=self.extension(caller),
                to_number=_number(dialled) if dialled else None,
                agent_extension=self.extension(caller),
                answered_at=answered_at,
            )
        ]

    def _on_BridgeAttendedTransfer(self, doc):
        transferee = _channel(doc, "transferee")
        target = _channel(doc, "transfer_target")
        if (
            doc.get("result") != "Success"
            or transferee is None
            or target is None
            or self._kind(transferee) != "inbound"
            or self.is_trunk(target)
        ):
            return []
        return [
            self._event(
                doc,
                transferee,
                target,
                "inbound",
                state="answered",
                agent_extension=self.extension(target),
                answered_at=parse_time(doc.get("timestamp")),
            )
        ]

    def _ended(self, doc, cause=None, cause_txt=None):
        channel = _channel(doc, "channel", required=True)
        kind = self._kind(channel)
        if kind is None:
            return []
        outcome = None
        if kind != "inbound" and cause == CAUSE_BUSY:
            outcome = "busy"
        return [
            self._event(
                doc,
                channel,
                channel,
                "outbound" if kind == "customer" else kind,
                state="ended",
                outcome=outcome,
                hangup_cause=_cause_name(cause, cause_txt),
            )
        ]

    def _on_ChannelHangupRequest(self, doc):
        if doc.get("soft"):
            return []  # transfers and redirects: the channel lives on
        channel = _channel(doc, "channel", required=True)
        if self._kind(channel) == "customer":
            return []  # its ChannelDestroyed ends the call
        return self._ended(doc, doc.get("cause"))

    def _on_ChannelDestroyed(self, doc):
        return self._ended(doc, doc.get("cause"), doc.get("cause_txt"))

    HANDLERS = {
        "ChannelCreated": "_on_channel_start",
        "StasisStart": "_on_channel_start",
        "ChannelStateChange": "_on_ChannelStateChange",
        "Dial": "_on_Dial",
        "BridgeAttendedTransfer": "_on_BridgeAttendedTransfer",
        "ChannelHangupRequest": "_on_ChannelHangupRequest",
        "ChannelDestroyed": "_on_ChannelDestroyed",
    }

    # -- websocket -----------------------------------------------------------

    @staticmethod
    def _base(config):
        """Scheme, host and path prefix of the ARI URL, without ``/ari``."""
        url = (config.get("ari_url") or "").strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
            raise ValueError("the ARI URL must look like http://pbx.example.com:8088")
        path = parts.path.rstrip("/")
        if path.endswith("/ari"):
            path = path[: -len("/ari")]
        return parts.scheme, parts.netloc, path

    def _api_key_query(self, config):
        if config.get("ari_auth") == "api_key":
            return {"api_key": f"{config.get('ari_user')}:{config.get('ari_password')}"}
        return {}

    def ws_url(self, config):
        scheme, netloc, path = self._base(config)
        scheme = "wss" if scheme in ("https", "wss") else "ws"
        query = {
            "app": config.get("ari_app") or "odoo",
            # Odoo watches every channel; it never takes calls into Stasis.
            "subscribeAll": "true",
            **self._api_key_query(config),
        }
        return urlunsplit((scheme, netloc, f"{path}/ari/events", urlencode(query), ""))

    def ws_headers(self, config):
        if config.get("ari_auth") == "api_key":
            return {}
        credentials = (
            f"{config.get('ari_user') or ''}:{config.get('ari_password') or ''}"
        )
        token = base64.b64encode(credentials.encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def ws_subscribe(self, config):
        # The application and subscribeAll are in the URL: each connection
        # subscribes again by itself.
        return []

    def ws_live_call_ids(self, config):
        """``GET /ari/channels``: the call (linkedid) of every channel up."""
        auth = None
        if config.get("ari_auth") != "api_key":
            auth = (config.get("ari_user"), config.get("ari_password"))
        response = requests.get(
            self._rest_url(config, "/channels"),
            params=self._api_key_query(config),
            auth=auth,
            timeout=config.get("timeout") or DEFAULT_TIMEOUT,
        )
        response.raise_for_status()
        channels = response.json()
        if not isinstance(channels, list):
            raise ValueError("GET /ari/channels did not answer a list of channels")
        live = set()
        for channel in channels:
            if not isinstance(channel, dict) or not isinstance(channel.get("id"), str):
                raise ValueError("GET /ari/channels answered a channel without id")
            try:
                live.add(self.call_id(channel))
            except PayloadError:
                # Without its linkedid, a channel keeps at least its own
                # call open (a root channel's id is the linkedid).
                live.add(channel["id"])
        return live

    # -- click-to-call ---------------------------------------------------------

    def _rest_url(self, config, path):
        scheme, netloc, prefix = self._base(config)
        scheme = "https" if scheme in ("https", "wss") else "http"
        return urlunsplit((scheme, netloc, f"{prefix}/ari{path}", "", ""))

    @staticmethod
    def channel_id(correlation_id):
        """The id Odoo gives the channel it originates."""
        if not _SAFE_ID_RE.match(correlation_id or ""):
            correlation_id = hashlib.sha256(
                (correlation_id or "").encode()
            ).hexdigest()[:32]
        return ORIGINATE_PREFIX + correlation_id

    def originate(self, config, agent_extension, number, correlation_id):
        """Ring the agent's phone, then dial ``number`` from the dialplan::

            POST /ari/channels?endpoint=PJSIP/101&context=from-internal
                 &extension=79161234567&priority=1&callerId=%2B79161234567
                 &channelId=odoo-<correlation id>
            {"variables": {"CRM_CORRELATION_ID": "<correlation id>"}}

        → 200 and the new channel (state Down).
        """
        if not (
            config.get("ari_url")
            and config.get("ari_user")
            and config.get("ari_password")
        ):
            raise OriginateError(MSG_NOT_CONFIGURED)
        if not agent_extension:
            raise OriginateError(MSG_NO_EXTENSION)
        digits = re.sub(r"\D", "", number or "")
        values = {"extension": agent_extension, "number": digits, "e164": number}
        try:
            endpoint = (
                config.get("ari_endpoint_pattern") or "PJSIP/{extension}"
            ).format(**values)
            extension = (config.get("ari_extension_pattern") or "{number}").format(
                **values
            )
            url = self._rest_url(config, "/channels")
        except (KeyError, IndexError, ValueError) as exc:
            _logger.warning("Asterisk ARI originate: bad configuration: %s", exc)
            raise OriginateError(MSG_NOT_CONFIGURED) from exc
        channel_id = self.channel_id(correlation_id)
        params = {
            "endpoint": endpoint,
            "context": config.get("ari_context") or "from-internal",
            "extension": extension,
            "priority": "1",
            # What the agent's phone shows while it rings: whom it will call.
            "callerId": number,
            "channelId": channel_id,
            **self._api_key_query(config),
        }
        auth = None
        if config.get("ari_auth") != "api_key":
            auth = (config.get("ari_user"), config.get("ari_password"))
        try:
            response = requests.post(
                url,
                params=params,
                json={"variables": {CORRELATION_VAR: correlation_id}},
                auth=auth,
                timeout=config["timeout"],
            )
        except requests.Timeout as exc:
            raise OriginateError(MSG_TIMEOUT) from exc
        except requests.RequestException as exc:
            _logger.warning("Asterisk ARI originate failed: %s", exc.__class__.__name__)
            raise OriginateError(MSG_UNREACHABLE) from exc
        if response.status_code in (401, 403):
            raise OriginateError(MSG_AUTH)
        if response.status_code in (400, 404, 409, 422):
            _logger.warning(
                "Asterisk ARI refused to originate (HTTP %s): %s",
                response.status_code,
                response.text[:300],
            )
            raise OriginateError(MSG_REJECTED)
        if response.status_code != 200:
            _logger.warning(
                "Asterisk ARI originate answered HTTP %s", response.status_code
            )
            raise OriginateError(MSG_FAILED)
        try:
            channel = response.json()
        except ValueError:
            channel = {}
        external_id = channel.get("id") if isinstance(channel, dict) else None
        return OriginateResult(
            external_call_id=external_id or channel_id, correlation_id=correlation_id
        )
