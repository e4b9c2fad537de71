"""Our own signed JSON format for contact centers without a ready adapter.

Signed with Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
``webhook-signature`` headers). One request carries one event::

    {
      "type": "call.ringing",            # call.ringing|answered|ended|updated
      "timestamp": "2024-05-14T10:15:03+07:00",
      "data": {
        "call_id": "c-1001",             # required, call level
        "direction": "inbound",          # required: inbound|outbound
        "from": "0901234567",            # required
        "to": "+842838123456",           # required
        "agent": "101",                  # extension, optional
        "started_at": "...", "answered_at": "...", "ended_at": "...",
        "duration": 95, "billsec": 80,
        "outcome": "answered",           # see call_event.OUTCOMES
        "hangup_cause": "NORMAL_CLEARING",
        "recording_url": "https://...",
        "queue": "sales", "campaign": "spring-promo",
        "correlation_id": "6f1c...",     # echoed from a click-to-call, optional
        "cost": 0.042, "currency": "USD", # what the call cost, optional
        "satisfaction": 5                 # post-call survey score 1-5, optional
      }
    }

``webhook-id`` is the dedup key: a redelivery of the same message is
accepted and changes nothing.

Click-to-call: Odoo POSTs to the provider's Originate URL, signed the same
way with the same secret::

    {"agent": "101", "number": "+84903555111", "correlation_id": "6f1c..."}

and the center answers 2xx, optionally ``{"call_id": "c-2001"}`` (its id of
the call), or 4xx/5xx with ``{"error": "Agent 101 is offline"}``. Events of
that call carry ``data.correlation_id`` (and/or the same ``call_id``).

``{"type": "ping", ...}`` (any ``data``) checks the connection: it is
authenticated and stored like any request, but carries no call (the inbox
keeps it as *ignored*). "Send Test Event" sends one.

Caller lookups (``GET /callcenter/lookup/<token>?number=...``) are signed
the same way, with the request target (path and query exactly as sent, e.g.
``/callcenter/lookup/<token>?number=%2B84901234567``) as the signed body.
"""

import json
import secrets
import time
from datetime import datetime, timezone

import requests

from .. import signature
from ..call_event import DIRECTIONS, OUTCOMES, CallEvent, aware_to_utc
from .base import (
    OriginateError,
    OriginateResult,
    PayloadError,
    ProviderAdapter,
    register,
)

EVENT_STATES = {
    "call.ringing": "ringing",
    "call.answered": "answered",
    "call.ended": "ended",
    "call.updated": None,
}
# Connection checks: authenticated and stored, but no call.
PING_TYPES = ("ping",)
MAX_TEXT = 2048
# The center's error text is shown to the agent: keep it to a sentence or two.
MAX_ERROR_TEXT = 300


def parse_datetime(value, field):
    """ISO 8601 with an offset → naive UTC (what Odoo stores)."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{field} must be an ISO 8601 string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise PayloadError(f"{field} is not an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        raise PayloadError(f"{field} must carry a UTC offset")
    return aware_to_utc(moment, field)


def _text(data, key, required=False):
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise PayloadError(f"data.{key} is required")
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise PayloadError(f"data.{key} must be a string")
    value = value.strip()
    if required and not value:
        raise PayloadError(f"data.{key} is required")
    if len(value) > MAX_TEXT:
        raise PayloadError(f"data.{key} is too long")
    return value or None


def _seconds(data, key):
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PayloadError(f"data.{key} must be a non-negative integer")
    return value


def _satisfaction(data):
    """``data.satisfaction``: the caller's post-call survey score, a whole
    number from 1 to 5, or absent."""
    value = data.get("satisfaction")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise PayloadError("data.satisfaction must be a whole number from 1 to 5")
    return value


def _cost(data):
    """``data.cost`` (a non-negative number) and ``data.currency`` (ISO 4217)."""
    value, currency = data.get("cost"), _text(data, "currency")
    if value is None:
        if currency:
            raise PayloadError("data.currency is given without data.cost")
        return None, None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise PayloadError("data.cost must be a non-negative number")
    if currency is not None:
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise PayloadError("data.currency must be an ISO 4217 code such as USD")
        currency = currency.upper()
    return float(value), currency


def _center_error(response):
    """The ``error`` text of a JSON error answer, if the center gave one."""
    try:
        answer = response.json()
    except ValueError:
        return None
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, str) or not error.strip():
        return None
    error = " ".join(error.split())
    if len(error) > MAX_ERROR_TEXT:
        error = error[: MAX_ERROR_TEXT - 1] + "…"
    return error


@register
class GenericAdapter(ProviderAdapter):
    code = "generic"
    # Only when the provider has an Originate URL (crm.callcenter.provider
    # ._can_originate checks it).
    can_originate = True

    def verify(self, config, headers, body, url, now):
        signature.verify(
            config.get("webhook_secret"),
            headers.get("webhook-id"),
            headers.get("webhook-timestamp"),
            headers.get("webhook-signature"),
            body,
            now,
        )

    def verify_lookup(self, config, headers, target, url, now):
        self.verify(config, headers, target, url, now)

    def sample_request(self, config, url, now):
        """A signed ``ping``: authenticated like an event, parsed to none."""
        msg_id = f"msg_odoo-test-{secrets.token_hex(8)}"
        body = json.dumps(
            {
                "type": "ping",
                "timestamp": datetime.fromtimestamp(now, timezone.utc).isoformat(),
                "data": {"message": "Test event from Odoo"},
            }
        ).encode()
        stamp = str(now)
        return body, {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": stamp,
            "webhook-signature": signature.sign(
                config.get("webhook_secret"), msg_id, stamp, body
            ),
        }

    def request_key(self, headers, body, events):
        return headers.get("webhook-id") or super().request_key(headers, body, events)

    def parse(self, body, headers=None):
        try:
            doc = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise PayloadError("body is not valid JSON") from exc
        if not isinstance(doc, dict):
            raise PayloadError("body must be a JSON object")
        event_type = doc.get("type")
        if event_type in PING_TYPES:
            return []
        if not isinstance(event_type, str) or event_type not in EVENT_STATES:
            raise PayloadError(
                "type must be one of "
                + ", ".join(sorted(EVENT_STATES.keys() | set(PING_TYPES)))
            )
        data = doc.get("data")
        if not isinstance(data, dict):
            raise PayloadError("data must be a JSON object")
        direction = _text(data, "direction", required=True)
        if direction not in DIRECTIONS:
            raise PayloadError("data.direction must be inbound or outbound")
        outcome = _text(data, "outcome")
        if outcome and outcome not in OUTCOMES:
            raise PayloadError("data.outcome must be one of " + ", ".join(OUTCOMES))
        msg_id = (headers or {}).get("webhook-id") or ""
        cost, currency = _cost(data)
        event = CallEvent(
            provider=self.code,
            external_call_id=_text(data, "call_id", required=True),
            event=event_type,
            dedup_key=msg_id,
            state=EVENT_STATES[event_type],
            direction=direction,
            event_time=parse_datetime(doc.get("timestamp"), "timestamp"),
            from_number=_text(data, "from", required=True),
            to_number=_text(data, "to", required=True),
            agent_extension=_text(data, "agent"),
            outcome=outcome,
            started_at=parse_datetime(data.get("started_at"), "data.started_at"),
            answered_at=parse_datetime(data.get("answered_at"), "data.answered_at"),
            ended_at=parse_datetime(data.get("ended_at"), "data.ended_at"),
            duration=_seconds(data, "duration"),
            billsec=_seconds(data, "billsec"),
            hangup_cause=_text(data, "hangup_cause"),
            recording_url=_text(data, "recording_url"),
            queue=_text(data, "queue"),
            campaign_ref=_text(data, "campaign"),
            correlation_id=_text(data, "correlation_id"),
            cost=cost,
            currency=currency,
            satisfaction=_satisfaction(data),
        )
        # The event's own time tells when the state was reached, when the
        # explicit timestamps are absent.
        if event.event_time:
            if event.state == "ringing" and not event.started_at:
                event.started_at = event.event_time
            elif event.state == "answered" and not event.answered_at:
                event.answered_at = event.event_time
            elif event.state == "ended" and not event.ended_at:
                event.ended_at = event.event_time
        return [event]

    # -- click-to-call -----------------------------------------------------

    def originate(self, config, agent_extension, number, correlation_id):
        url = config.get("originate_url")
        if not url:
            raise OriginateError("the provider has no originate URL")
        body = json.dumps(
            {
                "agent": agent_extension,
                "number": number,
                "correlation_id": correlation_id,
            }
        ).encode()
        # One message per click: the center can drop a resent request by id.
        msg_id = f"msg_originate_{correlation_id}"
        stamp = str(int(time.time()))
        try:
            signed = signature.sign(config.get("webhook_secret"), msg_id, stamp, body)
        except signature.SignatureError as exc:
            raise OriginateError(str(exc)) from exc
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": stamp,
            "webhook-signature": signed,
        }
        timeout = config["timeout"]
        try:
            response = self._post(url, body, headers, timeout)
        except requests.Timeout as exc:
            raise OriginateError(f"no answer within {timeout} s") from exc
        except requests.RequestException as exc:
            raise OriginateError("the contact center could not be reached") from exc
        if not 200 <= response.status_code < 300:
            raise OriginateError(
                _center_error(response) or f"HTTP {response.status_code}"
            )
        # 2xx means the center accepted: the call rings even when its answer
        # is empty or not JSON, and its events then carry the correlation id.
        call_id = None
        try:
            answer = response.json() if response.content else None
        except ValueError:
            answer = None
        if isinstance(answer, dict):
            call_id = answer.get("call_id")
        if isinstance(call_id, int) and not isinstance(call_id, bool):
            call_id = str(call_id)
        if not isinstance(call_id, str) or not call_id.strip():
            call_id = None
        return OriginateResult(
            external_call_id=call_id and call_id.strip()[:MAX_TEXT],
            correlation_id=correlation_id,
        )

    def _post(self, url, body, headers, timeout):
        """The one outbound HTTP request of this adapter."""
        return requests.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        )
