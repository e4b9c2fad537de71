"""Kazoo (2600Hz): channel webhooks, Blackhole websocket, Quickcall.

A webhook request is one event of one leg (``channel_create``,
``channel_answer``, ``channel_destroy``), form-encoded by default or JSON
with ``format: json``; nested objects are form-encoded as ``key[sub]=v``::

    {"hook_event": "channel_destroy",
     "call_id": "b8f1c5c0-...",                  # this leg
     "other_leg_call_id": "MmU4NGIx...",         # the leg it was bridged with
     "call_direction": "outbound",               # as the switch sees it
     "caller_id_number": "+79161234567", "caller_id_name": "Иван",
     "callee_id_number": "101", "request": "user_k2x9q@acme.example.com",
     "authorizing_type": "device", "authorizing_id": "9d8c...",
     "owner_id": "1c2b...",                       # Kazoo user of the device
     "local_resource_used": false,                # false: a global carrier
     "hangup_cause": "NORMAL_CLEARING", "duration_seconds": 74,
     "billing_seconds": 65, "timestamp": "63884942777",   # Gregorian seconds
     "custom_channel_vars": {"Media-Recording-ID": "..."},
     "custom_application_vars": {"odoo_correlation_id": "..."},
     "odoo_token": "..."}                         # the hook's custom_data

The Blackhole websocket sends the same events with Kazoo's internal names::

    {"action": "event", "name": "CHANNEL_DESTROY",
     "data": {"Call-ID": "...", "Other-Leg-Call-ID": "...",
              "Call-Direction": "inbound", "Timestamp": 63884942777,
              "Custom-Channel-Vars": {"Owner-ID": "...", ...}, ...}}

How the legs make one call:

* a leg the switch received (``call_direction=inbound``: from a carrier or
  a phone) is the call; a leg the switch placed (``outbound``) belongs to
  its ``other_leg_call_id``. Quickcall legs (``...-quickcall``) are the call
  they were created for;
* only a placed leg answering is an answer: an agent's phone on an inbound
  call, the customer on an outbound one. The received leg's own answer is
  an IVR, queue or voicemail (or the agent picking up a Quickcall) and
  changes nothing, so an inbound call only an IVR answered ends missed;
* the received leg's ``channel_destroy`` ends the call; a placed leg's only
  adds details (when it was answered, from its billing seconds);
* the agent is the Kazoo user owning the device (``owner_id``), or the
  device itself (``authorizing_id``) when nobody owns it.

Retried webhooks repeat the same body: the dedup key ``<call_id>:<event>`` is
the same for a webhook and its Blackhole twin, so a provider may use both.
"""

import hashlib
import hmac
import json
import logging
import re
import secrets
from datetime import timezone
from urllib.parse import parse_qsl, quote

import requests

from odoo.tools.translate import LazyTranslate

from ..call_event import CallEvent, unix_to_utc
from ..signature import SignatureError
from .base import (
    OriginateError,
    OriginateResult,
    PayloadError,
    ProviderAdapter,
    RecordingError,
    RecordingSource,
    register,
)
from .freeswitch import hangup_outcome, text

_logger = logging.getLogger(__name__)
_lt = LazyTranslate(__name__, default_lang="en_US")

# Kazoo counts seconds from year 0 (Erlang's Gregorian seconds).
GREGORIAN_OFFSET = 62167219200
TEST_PREFIX = "odoo-test-"
QUICKCALL_SUFFIX = "-quickcall"
# The hook's custom_data key holding the shared value, merged by Kazoo into
# the top level of every payload.
TOKEN_FIELD = "odoo_token"
# Custom application variable carrying our click-to-call id.
CORRELATION_KEY = "odoo_correlation_id"
HOOK_EVENTS = ("channel_create", "channel_answer", "channel_destroy")
BLACKHOLE_BINDINGS = [
    "call.CHANNEL_CREATE.*",
    "call.CHANNEL_ANSWER.*",
    "call.CHANNEL_DESTROY.*",
]
# Blackhole (AMQP) header → webhook field.
BLACKHOLE_FIELDS = {
    "Call-ID": "call_id",
    "Other-Leg-Call-ID": "other_leg_call_id",
    "Call-Direction": "call_direction",
    "Caller-ID-Name": "caller_id_name",
    "Caller-ID-Number": "caller_id_number",
    "Callee-ID-Name": "callee_id_name",
    "Callee-ID-Number": "callee_id_number",
    "From": "from",
    "To": "to",
    "Request": "request",
    "Hangup-Cause": "hangup_cause",
    "Hangup-Code": "hangup_code",
    "Duration-Seconds": "duration_seconds",
    "Billing-Seconds": "billing_seconds",
    "Ringing-Seconds": "ringing_seconds",
    "Timestamp": "timestamp",
    "Custom-Channel-Vars": "custom_channel_vars",
    "Custom-Application-Vars": "custom_application_vars",
    "Channel-Is-Loopback": "is_internal_leg",
}
_BRACKETS_RE = re.compile(r"\[([^\[\]]*)\]")


# Pages of channels read after a Blackhole reconnection (Crossbar pages
# hold 50 by default).
CHANNEL_PAGES = 20


class KazooApiError(ConnectionError):
    """Kazoo's API could not be used (unreachable, refused the API key)."""


def gregorian_to_datetime(value):
    """Kazoo timestamp (Gregorian seconds, str or int) → naive UTC."""
    if value in (None, ""):
        return None
    try:
        seconds = int(float(value))
    except (TypeError, ValueError) as exc:
        raise PayloadError("timestamp is not a number") from exc
    unix = seconds - GREGORIAN_OFFSET
    if unix <= 0:
        raise PayloadError("timestamp is not in Gregorian seconds")
    return unix_to_utc(unix, "timestamp")


def _truthy(value):
    return value is True or str(value).strip().lower() in ("true", "1", "yes")


def _falsy(value):
    return value is False or str(value).strip().lower() in ("false", "0", "no")


def _seconds(value):
    try:
        seconds = int(float(value))
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None


def _lookup(mapping, name):
    """A custom variable, whatever the case and separators Kazoo used."""
    if not isinstance(mapping, dict):
        return None
    wanted = re.sub(r"[-_]", "", name).lower()
    for key, value in mapping.items():
        if re.sub(r"[-_]", "", str(key)).lower() == wanted:
            return value
    return None


def _user_part(address):
    address = text(address)
    return address.split("@", 1)[0] if address else None


def _unflatten(pairs):
    """Kazoo's form encoding (``k[sub]=v``, ``k[]=v``) back to nested dicts."""
    doc = {}
    for key, value in pairs:
        name, _sep, rest = key.partition("[")
        path = [name, *_BRACKETS_RE.findall("[" + rest)] if rest else [name]
        node = doc
        for index, part in enumerate(path[:-1]):
            following = path[index + 1]
            if not isinstance(node, dict):
                break
            child = node.get(part)
            if not isinstance(child, (dict, list)):
                child = node[part] = [] if following == "" else {}
            node = child
        else:
            last = path[-1]
            if isinstance(node, list) and last == "":
                node.append(value)
            elif isinstance(node, dict) and last != "":
                node[last] = value
    return doc


def decode_body(body):
    """The webhook payload as a dict: JSON or form-data, found from the body."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    raw = body.strip()
    if not raw:
        raise PayloadError("empty body")
    if raw.startswith("{"):
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise PayloadError("body is not valid JSON") from exc
        if not isinstance(doc, dict):
            raise PayloadError("body must be a JSON object")
        return doc
    pairs = parse_qsl(raw, keep_blank_values=True)
    if not pairs:
        raise PayloadError("body is neither JSON nor form data")
    return _unflatten(pairs)


def from_blackhole(data):
    """Blackhole's event ``data`` → the webhook's field names."""
    doc = {
        field: data[header]
        for header, field in BLACKHOLE_FIELDS.items()
        if header in data
    }
    ccvs = data.get("Custom-Channel-Vars")
    if isinstance(ccvs, dict):
        doc["owner_id"] = _lookup(ccvs, "Owner-ID")
        doc["authorizing_id"] = _lookup(ccvs, "Authorizing-ID")
        doc["authorizing_type"] = _lookup(ccvs, "Authorizing-Type")
        doc["call_forwarded"] = _lookup(ccvs, "Call-Forward")
        was_global = _truthy(_lookup(ccvs, "Global-Resource"))
        doc["local_resource_used"] = not was_global
        if not was_global:
            doc["local_resource_id"] = _lookup(ccvs, "Resource-ID")
    return {key: value for key, value in doc.items() if value is not None}


@register
class KazooAdapter(ProviderAdapter):
    code = "kazoo"
    can_originate = True
    recording_reference = "id"
    # Per provider: the provider record turns it off when the Blackhole
    # websocket is not used (webhooks only).
    websocket = True

    # -- webhooks --------------------------------------------------------

    def verify(self, config, headers, body, url, now):
        """The URL token identified the provider; Kazoo does not sign, so the
        hook's ``custom_data`` shared value is checked when one is set."""
        expected = config.get("kazoo_custom_data") or ""
        if not expected:
            return True
        try:
            given = text(decode_body(body).get(TOKEN_FIELD)) or ""
        except PayloadError:
            given = ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise SignatureError("missing or wrong custom_data value")
        return True

    def request_key(self, headers, body, events):
        if events:
            return events[0].dedup_key
        try:
            doc = decode_body(body)
        except PayloadError:
            return ""
        call_id = text(doc.get("call_id"))
        event = text(doc.get("hook_event"))
        if call_id and event:
            return f"{call_id}:{event}"
        # Hooks we do not read (object, parking...): one key per body.
        return "body:" + hashlib.sha256(body).hexdigest()

    def reply(self, events):
        # Kazoo counts only HTTP 200 as delivered (201/204 are failures).
        return 200, {"status": "ok"}

    def sample_request(self, config, url, now):
        doc = {
            "hook_event": "channel_create",
            "call_id": f"{TEST_PREFIX}{now}",
            "call_direction": "inbound",
            "caller_id_number": "+10000000000",
            "callee_id_number": "+10000000001",
            "account_id": config.get("kazoo_account_id") or "",
            "timestamp": str(now + GREGORIAN_OFFSET),
        }
        if config.get("kazoo_custom_data"):
            doc[TOKEN_FIELD] = config["kazoo_custom_data"]
        body = "&".join(
            f"{quote(key, safe='')}={quote(str(value), safe='')}"
            for key, value in doc.items()
        ).encode()
        return body, {"Content-Type": "application/x-www-form-urlencoded"}

    def parse(self, body, headers=None):
        doc = decode_body(body)
        event = text(doc.get("hook_event"))
        if not event:
            if "action" in doc and "type" in doc:
                return []  # an "object" hook: no call in it
            raise PayloadError("hook_event is missing: not a Kazoo webhook")
        if event not in HOOK_EVENTS:
            return []
        return self._leg_events(doc, event)

    # -- click-to-call -----------------------------------------------------

    def originate(self, config, agent_extension, number, correlation_id):
        """Quickcall: ring the agent's Kazoo user (or device), then dial.

        ``POST`` blocks until Kazoo started the agent's leg and answers 202
        with the originate request, whose endpoints carry the leg's
        ``outbound_call_id`` (``<hex>-quickcall``): the id events use.
        """
        base, account = self._api_base(config)
        if not agent_extension:
            raise OriginateError(_lt("The agent has no Kazoo extension."))
        try:
            token = self._auth_token(config)
        except KazooApiError as exc:
            raise OriginateError(str(exc)) from exc
        params = {"auto_answer": "true" if config.get("kazoo_auto_answer") else "false"}
        payload = {
            "data": {"custom_application_vars": {CORRELATION_KEY: correlation_id}}
        }
        response = None
        # An extension is a Kazoo user id (owner_id); an unowned device is
        # addressed by its device id.
        for endpoint in ("users", "devices"):
            url = (
                f"{base}/v2/accounts/{quote(account, safe='')}/{endpoint}/"
                f"{quote(agent_extension, safe='')}/quickcall/{quote(number, safe='')}"
            )
            try:
                response = self._request(
                    config,
                    "POST",
                    url,
                    headers={"X-Auth-Token": token},
                    params=params,
                    json=payload,
                )
            except KazooApiError as exc:
                raise OriginateError(str(exc)) from exc
            if response.status_code != 404:
                break
        if response.status_code == 404:
            raise OriginateError(
                _lt(
                    "Kazoo has no user or device %(extension)s: check the "
                    "agent's extension.",
                    extension=agent_extension,
                )
            )
        if response.status_code not in (200, 201, 202):
            raise OriginateError(
                _lt(
                    "Kazoo could not start the call (HTTP %(status)s): %(reason)s",
                    status=response.status_code,
                    reason=self._error_reason(response),
                )
            )
        data = self._json(response).get("data")
        data = data if isinstance(data, dict) else {}
        endpoints = [
            item for item in data.get("endpoints") or [] if isinstance(item, dict)
        ]
        call_ids = [text(_lookup(item, "outbound_call_id")) for item in endpoints]
        call_ids = [call_id for call_id in call_ids if call_id]
        # With several devices, each rings on its own leg: the call is then
        # found by the correlation id its events carry.
        external = call_ids[0] if len(call_ids) == 1 else None
        return OriginateResult(external_call_id=external, correlation_id=correlation_id)

    # -- call recordings -----------------------------------------------------

    def recording_source(self, config, recording_url, recording_id):
        """The recording's media from Crossbar: ``GET /v2/accounts/<account>/
        recordings/<Media-Recording-ID>`` with ``Accept: audio/mpeg`` and an
        auth token, relayed by Odoo (the token never reaches the browser).
        A call whose leg carried only a ``Recording-URL`` (the account's own
        storage) plays from there."""
        if not recording_id:
            return super().recording_source(config, recording_url, recording_id)
        try:
            base, account = self._api_base(config, error=KazooApiError)
            token = self._auth_token(config)
        except KazooApiError as exc:
            raise RecordingError(str(exc)) from exc
        return RecordingSource(
            url=(
                f"{base}/v2/accounts/{quote(account, safe='')}/recordings/"
                f"{quote(recording_id, safe='')}"
            ),
            headers={"X-Auth-Token": token, "Accept": "audio/mpeg"},
        )

    # -- websocket (Blackhole) ---------------------------------------------

    def ws_url(self, config):
        url = config.get("kazoo_blackhole_url") or ""
        if not url.lower().startswith(("ws://", "wss://")):
            raise ValueError(
                "the Blackhole websocket is not enabled for this provider "
                "(Blackhole URL ws:// or wss:// missing)"
            )
        return url

    def ws_headers(self, config):
        return {}

    def ws_subscribe(self, config):
        """One subscribe message, with a fresh auth token (tokens expire: the
        listener asks again after every reconnection)."""
        _base, account = self._api_base(config, error=KazooApiError)
        token = self._auth_token(config)
        message = {
            "action": "subscribe",
            "auth_token": token,
            "request_id": f"odoo-{secrets.token_hex(6)}",
            "data": {"account_id": account, "bindings": BLACKHOLE_BINDINGS},
        }
        return [json.dumps(message)]

    def ws_live_call_ids(self, config):
        """The legs up now (Crossbar ``GET /v2/accounts/<id>/channels``):
        each channel's ``uuid`` and ``other_leg``, which covers the leg a
        call is named after (see the module docstring). Pages are followed:
        a missing page would close calls still in progress."""
        base, account = self._api_base(config, error=KazooApiError)
        headers = {"X-Auth-Token": self._auth_token(config)}
        live = set()
        params = {}
        for _page in range(CHANNEL_PAGES):
            response = self._request(
                config,
                "GET",
                f"{base}/v2/accounts/{quote(account, safe='')}/channels",
                headers=headers,
                params=params,
            )
            if not response.ok:
                raise KazooApiError(
                    f"Kazoo answered HTTP {response.status_code} for the channels"
                )
            doc = self._json(response)
            channels = doc.get("data")
            if not isinstance(channels, list):
                raise ValueError("Kazoo's channels answer has no list of channels")
            for channel in channels:
                uuid = text(channel.get("uuid")) if isinstance(channel, dict) else None
                if not uuid:
                    raise ValueError("Kazoo answered a channel without uuid")
                live.add(uuid)
                other = text(channel.get("other_leg"))
                if other:
                    live.add(other)
            next_key = doc.get("next_start_key")
            if next_key in (None, "", False):
                return live
            params = {"start_key": next_key}
        raise ValueError(f"Kazoo listed more than {CHANNEL_PAGES} pages of channels")

    def ws_parse(self, message):
        try:
            doc = json.loads(message)
        except (TypeError, ValueError) as exc:
            raise PayloadError("Blackhole message is not JSON") from exc
        if not isinstance(doc, dict):
            raise PayloadError("Blackhole message is not a JSON object")
        action = doc.get("action")
        if action == "reply" and doc.get("status") == "error":
            data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
            reason = text(data.get("message")) or text(doc.get("error")) or "error"
            raise PayloadError(f"Blackhole refused the request: {reason}")
        if action != "event":
            return None, []  # subscription replies, pongs
        data = doc.get("data")
        if not isinstance(data, dict):
            raise PayloadError("Blackhole event without data")
        name = text(doc.get("name")) or text(data.get("Event-Name")) or ""
        event = name.lower()
        if event not in HOOK_EVENTS:
            return None, []
        leg = from_blackhole(data)
        call_id = text(leg.get("call_id"))
        if not call_id:
            raise PayloadError("Blackhole event without Call-ID")
        return f"{call_id}:{event}", self._leg_events(leg, event)

    # -- helpers ---------------------------------------------------------------

    @staticmethod
    def _api_base(config, error=OriginateError):
        base = (config.get("kazoo_api_url") or "").strip().rstrip("/")
        base = base.removesuffix("/v2")
        account = (config.get("kazoo_account_id") or "").strip()
        if not base or not account or not config.get("kazoo_api_key"):
            message = _lt(
                "Kazoo is not configured: set its API URL, account id and API key."
            )
            raise error(str(message) if error is KazooApiError else message)
        return base, account

    def _request(self, config, method, url, **kwargs):
        """The one place this adapter talks HTTP to Kazoo."""
        try:
            return requests.request(method, url, timeout=config["timeout"], **kwargs)
        except requests.Timeout as exc:
            raise KazooApiError(
                str(
                    _lt(
                        "Kazoo did not answer within %(seconds)s seconds.",
                        seconds=config["timeout"],
                    )
                )
            ) from exc
        except requests.RequestException as exc:
            raise KazooApiError(str(_lt("Kazoo cannot be reached."))) from exc

    def _auth_token(self, config):
        """A Crossbar auth token from the account's API key (``api_auth``)."""
        base, _account = self._api_base(config, error=KazooApiError)
        response = self._request(
            config,
            "PUT",
            f"{base}/v2/api_auth",
            json={"data": {"api_key": config["kazoo_api_key"]}},
        )
        if response.status_code in (401, 403):
            raise KazooApiError(str(_lt("Kazoo refused the API key.")))
        token = text(self._json(response).get("auth_token"))
        if not response.ok or not token:
            raise KazooApiError(
                str(
                    _lt(
                        "Kazoo did not give an auth token (HTTP %(status)s).",
                        status=response.status_code,
                    )
                )
            )
        return token

    @staticmethod
    def _json(response):
        try:
            doc = response.json()
        except ValueError:
            return {}
        return doc if isinstance(doc, dict) else {}

    def _error_reason(self, response):
        doc = self._json(response)
        data = doc.get("data") if isinstance(doc.get("data"), dict) else {}
        parts = [text(doc.get("message")), text(data.get("error_message"))]
        return " – ".join(part for part in parts if part) or response.reason or ""

    def _leg_events(self, doc, event):
        """The CallEvent of one leg's event (see the module docstring)."""
        call_id = text(doc.get("call_id"))
        if not call_id:
            raise PayloadError("call_id is missing")
        if call_id.startswith(TEST_PREFIX) or _truthy(doc.get("is_internal_leg")):
            # Our own test event; loopback legs, whose real legs are reported.
            return []
        other = text(doc.get("other_leg_call_id"))
        if other == call_id:
            other = None
        timestamp = gregorian_to_datetime(doc.get("timestamp"))
        cause = text(doc.get("hangup_cause"))
        quickcall = call_id.endswith(QUICKCALL_SUFFIX)
        if quickcall and event == "channel_destroy" and cause == "LOSE_RACE":
            # Another device of the agent answered the Quickcall.
            return []
        switch_direction = (text(doc.get("call_direction")) or "").lower()
        if quickcall:
            root, is_root = call_id, True
        elif other and other.endswith(QUICKCALL_SUFFIX):
            root, is_root, quickcall = other, False, True
        elif switch_direction == "outbound" and other:
            root, is_root = other, False
        else:
            root, is_root = call_id, True

        auth_type = (text(doc.get("authorizing_type")) or "").lower()
        carrier = (
            auth_type == "resource"
            or bool(text(doc.get("local_resource_id")))
            or _falsy(doc.get("local_resource_used"))
        )
        owner = text(doc.get("owner_id"))
        device = not carrier and bool(owner or auth_type in ("device", "user"))
        forwarded = _truthy(doc.get("call_forwarded"))
        agent = owner or (
            text(doc.get("authorizing_id")) if auth_type in ("device", "user") else None
        )

        if quickcall:
            direction = "outbound"
        elif is_root:
            inbound = switch_direction == "inbound" and not device
            direction = "inbound" if inbound else "outbound"
        else:
            direction = "outbound" if carrier and not forwarded else "inbound"

        caller = text(doc.get("caller_id_number"))
        dialed = _user_part(doc.get("request")) or text(doc.get("callee_id_number"))
        ccvs = doc.get("custom_channel_vars")
        recording_url = text(_lookup(ccvs, "Recording-URL"))
        if recording_url and not recording_url.lower().startswith(
            ("http://", "https://")
        ):
            recording_url = None
        result = CallEvent(
            provider=self.code,
            external_call_id=root,
            event=event,
            dedup_key=f"{call_id}:{event}",
            direction=direction,
            event_time=timestamp,
            leg_id=call_id,
            recording_id=text(_lookup(ccvs, "Media-Recording-ID")),
            recording_url=recording_url,
            correlation_id=text(
                _lookup(doc.get("custom_application_vars"), CORRELATION_KEY)
            ),
        )
        if is_root:
            if direction == "inbound":
                result.from_number = caller
                result.to_number = result.did = dialed
                name = text(doc.get("caller_id_name"))
                if name and name != caller:
                    result.caller_name = name
            elif quickcall:
                # Kazoo shows the customer's number to the agent: the
                # customer is the number the agent's leg was created for.
                result.to_number = dialed or caller
                result.agent_extension = agent
            else:
                result.from_number = caller
                result.to_number = dialed
                result.agent_extension = agent
        elif direction == "inbound":
            result.from_number = caller
            if device or forwarded:
                result.agent_extension = agent
        else:
            result.to_number = dialed

        if event == "channel_create":
            result.state = "ringing"
            result.started_at = timestamp
        elif event == "channel_answer":
            if not is_root:
                result.state = "answered"
                result.answered_at = timestamp
        else:
            billsec = _seconds(doc.get("billing_seconds"))
            if is_root:
                duration = _seconds(doc.get("duration_seconds"))
                result.state = "ended"
                result.ended_at = timestamp
                result.duration = duration
                result.hangup_cause = cause
                if timestamp and duration is not None:
                    result.started_at = unix_to_utc(
                        timestamp.replace(tzinfo=timezone.utc).timestamp() - duration,
                        "duration_seconds",
                    )
                if not billsec:
                    # Nobody ever answered the call's own leg.
                    result.outcome = hangup_outcome(cause)
            elif billsec and timestamp:
                # Its answer event may be lost: the billing seconds date it.
                result.answered_at = unix_to_utc(
                    timestamp.replace(tzinfo=timezone.utc).timestamp() - billsec,
                    "billing_seconds",
                )
        return [result]
