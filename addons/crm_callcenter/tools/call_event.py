"""The normalized call event every provider adapter produces.

Adapters turn a provider's wire format into a list of :class:`CallEvent`;
``crm.callcenter.call`` folds them into one call row per
``(provider, external_call_id)``.
"""

import dataclasses
import math
from datetime import datetime, timezone

from .storable import INT_MAX, NulFree

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
# Durations are stored in Integer columns.
MAX_SECONDS = INT_MAX
SECONDS_FIELDS = ("duration", "billsec")
# Beyond this, a call's cost is a mistake, and converting it to another
# currency could overflow.
MAX_COST = 1e12
# The caller's answer to a post-call satisfaction survey: 1 (very
# dissatisfied) to 5 (very satisfied); 4 and 5 count as satisfied (CSAT).
SATISFACTION_SCORES = range(1, 6)
SATISFIED_SCORE = 4
# 1 and 2: dissatisfied (a follow-up call, see res.company).
DISSATISFIED_SCORE = 2


def seconds_between(earlier, later):
    """Whole seconds from ``earlier`` to ``later``: 0 when negative, and at
    most what the columns hold (times decades apart are a wrong clock)."""
    return min(max(int((later - earlier).total_seconds()), 0), MAX_SECONDS)


class PayloadError(ValueError):
    """The body cannot be read as the provider's format (answered with 400)."""


def aware_to_utc(moment, field):
    """An aware datetime → naive UTC, whole seconds; a PayloadError naming
    ``field`` when its UTC falls before year 1 or after 9999."""
    try:
        return moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
    except (OverflowError, ValueError) as exc:
        raise PayloadError(f"{field} is out of range") from exc


def unix_to_utc(seconds, field):
    """Unix seconds → naive UTC datetime; a PayloadError naming ``field``
    when no date has them (before year 1, after 9999, not finite)."""
    try:
        return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError) as exc:
        raise PayloadError(f"{field} is not a Unix time") from exc


@dataclasses.dataclass
class CallEvent(NulFree):
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
    # The caller's score in the center's post-call survey (1-5).
    satisfaction: int | None = None

    def __setattr__(self, name, value):
        # Whatever an adapter reads from the wire, when it builds the event
        # or fills it in later, can be stored (text: NulFree), or is refused
        # here (400).
        if value is None or isinstance(value, str):
            pass
        elif name in SECONDS_FIELDS and not 0 <= value <= MAX_SECONDS:
            raise PayloadError(f"{name} out of range: {value}")
        elif name == "cost" and not (math.isfinite(value) and 0 <= value <= MAX_COST):
            raise PayloadError(f"cost out of range: {value}")
        elif name == "satisfaction" and (
            isinstance(value, bool) or value not in SATISFACTION_SCORES
        ):
            raise PayloadError(f"satisfaction must be 1 to 5, not {value!r}")
        NulFree.__setattr__(self, name, value)
