"""FreeSWITCH: one mod_json_cdr document per leg, posted when the leg ends.

``mod_json_cdr`` posts ``<url>?uuid=<leg uuid>`` with either the raw JSON
(``encode`` off, the default) or ``cdr=<url-encoded JSON>`` (``encode=true``)
or ``cdr=<base64 JSON>`` (``encode=base64``). With ``encode-values`` (on by
default) every value inside ``variables`` is URL-encoded on top::

    {"core-uuid": "720b5579-...", "switchname": "fs1",
     "channel_data": {"state": "CS_REPORTING", "direction": "inbound", ...},
     "variables": {"uuid": "77645a4f-...", "call_uuid": "77645a4f-...",
                   "direction": "inbound", "caller_id_number": "79161234567",
                   "caller_id_name": "%D0%90%D0%BD%D0%BD%D0%B0",
                   "destination_number": "74951234567", "dialed_user": "101",
                   "last_bridge_to": "c37517e6-...",
                   "start_epoch": "1715670903", "answer_epoch": "1715670911",
                   "bridge_epoch": "1715670911", "end_epoch": "1715670980",
                   "duration": "77", "billsec": "69",
                   "hangup_cause": "NORMAL_CLEARING", "record_file": "%2Fvar%2F..."},
     "callflow": {"profile_index": "1",
                  "caller_profile": {
                      "uuid": "77645a4f-...", "destination_number": "74951234567",
                      "context": "public",
                      "originator": {"originator_caller_profiles": [...]},   # B-leg
                      "originatee": {"originatee_caller_profiles": [...]}},  # A-leg
                  "times": {"created_time": "1715670903090123",
                            "answered_time": "...", "bridged_time": "...",
                            "hangup_time": "..."}}}         # microseconds

A transferred channel has one ``callflow`` per caller profile: older builds
repeat the ``callflow`` key in the same object, newer ones send an array.
Both are read.

How the legs make one call:

* a B-leg (its caller profile has an ``originator``, or mod_callcenter's
  ``cc_member_session_uuid``) belongs to its A-leg's uuid; any other leg is
  an A-leg and is the call;
* the A-leg's CDR ends the call. Its ``bridge_epoch`` (or the ``bridged_time``
  of its callflow) is when an agent answered an inbound call (when the
  customer answered an outbound one): an A-leg answered by an IVR or
  voicemail and never bridged ends missed, whatever its ``billsec``;
* a B-leg's CDR tells who rang or answered (``dialed_user``, else its
  destination number) and when; it never ends the call;
* direction: an A-leg authenticated as a directory user (``sip_auth_username``
  or ``user_name``) or originated by FreeSWITCH (``direction=outbound``) is an
  outbound call, any other an inbound one; a B-leg towards a user
  (``dialed_user``) belongs to an inbound call, one towards a gateway or SIP
  URI to an outbound call. A channel
  variable ``crm_direction=inbound|outbound`` set in the dialplan wins.

A post-call survey in the dialplan (after the agent hangs up, the caller
presses 1 to 5) reports its score in the channel variable
``crm_satisfaction`` of the A-leg; another value is ignored (the CDR is
kept) and logged.

CDRs arrive only when a leg ends, so a call appears in Odoo when its first
leg ends (usually when the agent or customer hangs up): there is no ringing
screen pop with CDRs alone. Live events need the Event Socket (ESL), a TCP
protocol this adapter does not speak.

No click-to-call either: mod_json_cdr is one-way (FreeSWITCH → Odoo) and
originating a call needs the Event Socket (``bgapi originate``) or
mod_xml_rpc, reachable only from inside the PBX network.
"""

import base64
import binascii
import hmac
import json
import logging
from urllib.parse import parse_qsl, unquote, unquote_plus

from odoo.tools.translate import LazyTranslate

from ..call_event import CallEvent, seconds_between, unix_to_utc
from ..signature import SignatureError
from .base import (
    OriginateError,
    PayloadError,
    ProviderAdapter,
    register,
)

_lt = LazyTranslate(__name__, default_lang="en_US")
_logger = logging.getLogger(__name__)

TEST_PREFIX = "odoo-test-"
MAX_TEXT = 1024
DIRECTION_VARIABLE = "crm_direction"
SATISFACTION_VARIABLE = "crm_satisfaction"
RECORDING_VARIABLES = ("crm_recording_url", "record_file", "recording_file")

# Q.850 cause names (FreeSWITCH's, which Kazoo reuses) that tell the outcome
# of a call nobody answered.
HANGUP_OUTCOMES = {
    "USER_BUSY": "busy",
    "NO_ANSWER": "no_answer",
    "NO_USER_RESPONSE": "no_answer",
    "ALLOTTED_TIMEOUT": "no_answer",
    "ORIGINATOR_CANCEL": "cancelled",
    "CALL_REJECTED": "failed",
    "UNALLOCATED_NUMBER": "failed",
    "NO_ROUTE_DESTINATION": "failed",
    "NO_ROUTE_TRANSIT_NET": "failed",
    "DESTINATION_OUT_OF_ORDER": "failed",
    "INVALID_NUMBER_FORMAT": "failed",
    "NETWORK_OUT_OF_ORDER": "failed",
    "NORMAL_TEMPORARY_FAILURE": "failed",
    "NORMAL_CIRCUIT_CONGESTION": "failed",
    "SWITCH_CONGESTION": "failed",
    "RECOVERY_ON_TIMER_EXPIRE": "failed",
    "SUBSCRIBER_ABSENT": "failed",
    "INCOMPATIBLE_DESTINATION": "failed",
    "SERVICE_UNAVAILABLE": "failed",
    "BEARERCAPABILITY_NOTAVAIL": "failed",
    "EXCHANGE_ROUTING_ERROR": "failed",
}


def hangup_outcome(cause):
    """Outcome of a call whose customer leg was never answered, or None."""
    return HANGUP_OUTCOMES.get((cause or "").upper())


def text(value, limit=MAX_TEXT):
    """A stripped non-empty string (numbers accepted), else None."""
    if value is None or isinstance(value, (bool, dict, list)):
        return None
    value = str(value).strip()
    return value[:limit] or None


def _pairs_keeping_callflows(pairs):
    """``object_pairs_hook`` that keeps every repeated ``callflow`` key."""
    doc = {}
    for key, value in pairs:
        if key == "callflow" and key in doc:
            previous = doc[key]
            doc[key] = (
                [*previous, value]
                if isinstance(previous, list)
                else [
                    previous,
                    value,
                ]
            )
        else:
            doc[key] = value
    return doc


def _as_list(value):
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return [value] if isinstance(value, dict) else []


def _epoch(value):
    """Unix seconds (string) → naive UTC datetime; "0" or nothing → None."""
    try:
        seconds = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    if seconds <= 0:
        return None
    return unix_to_utc(seconds, "epoch")


def _micro(value):
    """Microseconds since the epoch (callflow times) → naive UTC datetime."""
    try:
        micros = int(value)
    except (TypeError, ValueError):
        return None
    return _epoch(micros // 1_000_000) if micros > 0 else None


def _seconds(value):
    try:
        seconds = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return None
    return seconds if seconds >= 0 else None


def _decode_document(body):
    """The CDR as a dict, from any of mod_json_cdr's encodings."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    raw = body.strip()
    if raw.startswith("cdr=") or "&cdr=" in raw:
        value = raw[4:] if raw.startswith("cdr=") else None
        if value is None or "&" in value:
            value = dict(parse_qsl(raw, keep_blank_values=True)).get("cdr", "")
            candidates = [value]
        else:
            # URL-encoded JSON starts with "{" or "%7B"; anything else is
            # base64, whose "+" must not become a space.
            candidates = (
                [unquote_plus(value)]
                if value[:3].upper() == "%7B" or value.startswith("{")
                else [value]
            )
        raw = candidates[0].strip()
        if not raw.startswith("{"):
            try:
                padded = raw + "=" * (-len(raw) % 4)
                raw = base64.b64decode(padded, validate=False).decode(
                    "utf-8", "replace"
                )
            except (binascii.Error, ValueError) as exc:
                raise PayloadError("cdr is neither JSON nor base64") from exc
    try:
        doc = json.loads(raw, object_pairs_hook=_pairs_keeping_callflows)
    except ValueError as exc:
        raise PayloadError("body is not a JSON CDR") from exc
    if not isinstance(doc, dict):
        raise PayloadError("the CDR must be a JSON object")
    return doc


class _Cdr:
    """Read access to one leg's CDR (variables URL-decoded)."""

    def __init__(self, doc):
        variables = doc.get("variables")
        if not isinstance(variables, dict):
            raise PayloadError("the CDR has no variables")
        # encode-values=true URL-encodes every value; a raw "+7916..." of
        # encode-values=false must stay a "+", so "+" is not a space here.
        self.vars = {
            key: unquote(value) if isinstance(value, str) else value
            for key, value in variables.items()
        }
        self.callflows = sorted(
            _as_list(doc.get("callflow")),
            key=lambda flow: _seconds(flow.get("profile_index")) or 0,
        )
        channel_data = doc.get("channel_data")
        self.channel = channel_data if isinstance(channel_data, dict) else {}

    def var(self, name):
        return text(self.vars.get(name))

    def profile(self):
        """The first caller profile (the one the leg was created with)."""
        for flow in self.callflows:
            profile = flow.get("caller_profile")
            if isinstance(profile, dict):
                return profile
        return {}

    def related_profiles(self, kind):
        """Caller profiles of the ``originator`` or ``originatee`` legs."""
        profiles = []
        for flow in self.callflows:
            profile = flow.get("caller_profile")
            related = profile.get(kind) if isinstance(profile, dict) else None
            if isinstance(related, dict):
                profiles.extend(_as_list(related.get(f"{kind}_caller_profiles")))
        return profiles

    def first_time(self, name):
        moments = [
            _micro(flow["times"].get(name))
            for flow in self.callflows
            if isinstance(flow.get("times"), dict)
        ]
        moments = [moment for moment in moments if moment]
        return min(moments) if moments else None


@register
class FreeswitchAdapter(ProviderAdapter):
    code = "freeswitch"
    can_originate = False
    recording_reference = "file"

    # -- webhooks --------------------------------------------------------

    def verify(self, config, headers, body, url, now):
        """The token in the URL already identified the provider; HTTP basic
        authentication (mod_json_cdr ``cred``) is checked when configured."""
        username = config.get("freeswitch_username") or ""
        password = config.get("freeswitch_password") or ""
        if not username and not password:
            return True
        header = headers.get("Authorization") or ""
        scheme, _sep, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise SignatureError("missing HTTP basic authentication")
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SignatureError("malformed HTTP basic authentication") from exc
        expected = f"{username}:{password}".encode()
        if not hmac.compare_digest(given, expected):
            raise SignatureError("wrong HTTP basic credentials")
        return True

    def request_key(self, headers, body, events):
        if events:
            return events[0].dedup_key
        try:
            uuid = _Cdr(_decode_document(body)).var("uuid")
        except PayloadError:
            return ""
        return f"cdr:{uuid}" if uuid else ""

    def sample_request(self, config, url, now):
        uuid = f"{TEST_PREFIX}{now}"
        doc = {
            "core-uuid": "odoo-test",
            "switchname": "odoo-test",
            "channel_data": {"state": "CS_REPORTING", "direction": "inbound"},
            "variables": {
                "uuid": uuid,
                "call_uuid": uuid,
                "direction": "inbound",
                "caller_id_number": "10000000000",
                "destination_number": "10000000001",
                "start_epoch": str(now),
                "end_epoch": str(now),
                "hangup_cause": "NORMAL_CLEARING",
            },
        }
        body = json.dumps(doc, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "freeswitch-json/1.0",
        }
        username = config.get("freeswitch_username") or ""
        password = config.get("freeswitch_password") or ""
        if username or password:
            token = base64.b64encode(f"{username}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        return body, headers

    def parse(self, body, headers=None):
        cdr = _Cdr(_decode_document(body))
        uuid = cdr.var("uuid") or text(cdr.profile().get("uuid"))
        if not uuid:
            raise PayloadError("the CDR has no uuid")
        if uuid.startswith(TEST_PREFIX):
            return []
        originator = self._originator_uuid(cdr, uuid)
        if originator:
            return [self._b_leg_event(cdr, uuid, originator)]
        return [self._a_leg_event(cdr, uuid)]

    # -- click-to-call -----------------------------------------------------

    def originate(self, config, agent_extension, number, correlation_id):
        raise OriginateError(
            _lt(
                "FreeSWITCH cannot place calls from Odoo: its CDRs only report "
                "finished calls. Click-to-call needs the Event Socket."
            )
        )

    # -- helpers ---------------------------------------------------------------

    @staticmethod
    def _originator_uuid(cdr, uuid):
        """The A-leg uuid of a B-leg, None for an A-leg."""
        candidates = [
            text(profile.get("uuid")) for profile in cdr.related_profiles("originator")
        ]
        candidates += [
            cdr.var("originating_leg_uuid"),
            cdr.var("cc_member_session_uuid"),
        ]
        for candidate in candidates:
            if candidate and candidate != uuid:
                return candidate
        return None

    def _direction(self, cdr, default):
        forced = (cdr.var(DIRECTION_VARIABLE) or "").lower()
        return forced if forced in ("inbound", "outbound") else default

    def _base_event(self, cdr, uuid, call_id, direction):
        recording_url = recording_id = None
        for name in RECORDING_VARIABLES:
            value = cdr.var(name)
            if value:
                if value.lower().startswith(("http://", "https://")):
                    recording_url = value
                else:
                    recording_id = value
                break
        event = CallEvent(
            provider=self.code,
            external_call_id=call_id,
            event="cdr",
            dedup_key=f"cdr:{uuid}",
            direction=direction,
            leg_id=uuid,
            event_time=_epoch(cdr.var("end_epoch")) or cdr.first_time("hangup_time"),
            recording_url=recording_url,
            recording_id=recording_id,
            queue=cdr.var("cc_queue"),
            campaign_ref=cdr.var("crm_campaign"),
        )
        score = cdr.var(SATISFACTION_VARIABLE)
        if score:
            if score.strip() in ("1", "2", "3", "4", "5"):
                event.satisfaction = int(score)
            else:
                # The call matters more than a survey the dialplan got wrong.
                _logger.warning(
                    "FreeSWITCH CDR %s: %s=%r is not a score from 1 to 5, ignored",
                    uuid,
                    SATISFACTION_VARIABLE,
                    score[:20],
                )
        return event

    def _a_leg_event(self, cdr, uuid):
        profile = cdr.profile()
        local_user = cdr.var("sip_auth_username") or cdr.var("user_name")
        originated = (cdr.var("direction") or "").lower() == "outbound"
        direction = self._direction(
            cdr, "outbound" if local_user or originated else "inbound"
        )
        event = self._base_event(cdr, uuid, uuid, direction)
        caller_number = cdr.var("caller_id_number") or text(
            profile.get("caller_id_number")
        )
        destination = text(profile.get("destination_number")) or cdr.var(
            "destination_number"
        )
        originatees = cdr.related_profiles("originatee")
        bridged_to = (
            text(originatees[0].get("destination_number")) if originatees else None
        )
        if direction == "inbound":
            event.from_number = caller_number
            event.to_number = event.did = destination
            name = cdr.var("caller_id_name") or text(profile.get("caller_id_name"))
            if name and name != caller_number:
                event.caller_name = name
            event.agent_extension = (
                cdr.var("dialed_user") or cdr.var("cc_agent") or bridged_to
            )
        else:
            event.from_number = caller_number
            # A call placed by FreeSWITCH rings the agent first; the customer
            # is then the bridged leg's destination.
            event.to_number = (bridged_to if originated else None) or destination
            event.agent_extension = (
                local_user
                or (destination if originated else None)
                or text(profile.get("caller_id_number"))
            )
        started = _epoch(cdr.var("start_epoch")) or cdr.first_time("created_time")
        ended = event.event_time
        # The moment the customer leg was bridged is when an agent answered
        # (an outbound call: when the customer did); its own answer may be
        # an IVR's.
        bridged = _epoch(cdr.var("bridge_epoch")) or cdr.first_time("bridged_time")
        event.state = "ended"
        event.started_at = started
        event.answered_at = bridged
        event.ended_at = ended
        event.duration = _seconds(cdr.var("duration"))
        if event.duration is None and started and ended:
            event.duration = seconds_between(started, ended)
        cause = cdr.var("hangup_cause")
        event.hangup_cause = cause
        answered = _epoch(cdr.var("answer_epoch")) or cdr.first_time("answered_time")
        if not answered and not bridged:
            # Nobody (IVR, voicemail, agent or customer) ever answered this
            # leg: its cause is the call's outcome.
            event.outcome = hangup_outcome(
                cdr.var("originate_disposition")
                if cause == "NORMAL_CLEARING"
                else cause
            )
        return event

    def _b_leg_event(self, cdr, uuid, call_id):
        profile = cdr.profile()
        # Users are dialed through user/<ext> (which sets dialed_user) or by
        # mod_callcenter; anything else (a gateway, a SIP URI) is a customer.
        agent_leg = bool(cdr.var("dialed_user") or cdr.var("cc_agent")) or (
            text(profile.get("chan_name")) or ""
        ).startswith(("sofia/internal/", "verto.rtc/", "user/"))
        direction = self._direction(cdr, "inbound" if agent_leg else "outbound")
        event = self._base_event(cdr, uuid, call_id, direction)
        destination = text(profile.get("destination_number")) or cdr.var(
            "destination_number"
        )
        answered = _epoch(cdr.var("answer_epoch")) or cdr.first_time("answered_time")
        if direction == "inbound":
            # The agent's leg: who rang, and whether they answered.
            event.from_number = cdr.var("caller_id_number") or text(
                profile.get("caller_id_number")
            )
            event.agent_extension = (
                cdr.var("dialed_user") or cdr.var("cc_agent") or destination
            )
        else:
            # The customer's leg of a call an agent placed.
            event.to_number = destination
        event.started_at = _epoch(cdr.var("start_epoch")) or cdr.first_time(
            "created_time"
        )
        if answered:
            event.state = "answered"
            event.answered_at = answered
        return event
