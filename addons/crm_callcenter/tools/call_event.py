"""The normalized call event every provider adapter produces.

Adapters turn a provider's wire format into a list of :class:`CallEvent`;
``crm.callcenter.call`` folds them into one call row per
``(provider, external_call_id)``.
"""

import dataclasses
from datetime import datetime

DIRECTIONS = ("inbound", "outbound")
STATES = ("ringing", "answered", "ended")
# State only moves forward: a late "ringing" never reopens an ended call.
STATE_RANK = {state: rank for rank, state in enumerate(STATES)}
OUTCOMES = (
    "answered",
    "missed",
    "busy",
    "no_answer",
    "cancelled",
    "failed",
    "voicemail",
)


@dataclasses.dataclass
class CallEvent:
    """One provider event, in the CRM's words (all times naive UTC)."""

    provider: str
    external_call_id: str
    event: str
    dedup_key: str
    state: str | None = None  # None: details only (e.g. call.updated)
    direction: str | None = None
    event_time: datetime | None = None
    leg_id: str | None = None
    sequence: int | None = None
    from_number: str | None = None
    to_number: str | None = None
    did: str | None = None
    agent_extension: str | None = None
    outcome: str | None = None
    started_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    duration: int | None = None
    billsec: int | None = None
    hangup_cause: str | None = None
    recording_url: str | None = None
    queue: str | None = None
    campaign_ref: str | None = None
    # Set by providers whose events echo an id we gave when originating
    # (click-to-call): the call row created at the click is found by it.
    correlation_id: str | None = None
    # Name the PBX shows for the caller (CNAM, caller id name), as sent.
    caller_name: str | None = None
    # Provider's id of a recording to fetch (when no URL is given).
    recording_id: str | None = None
    # What the provider charged for the call, when it says, in ``currency``
    # (ISO 4217 code; None: the provider's billing currency).
    cost: float | None = None
    currency: str | None = None
