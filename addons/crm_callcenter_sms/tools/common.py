"""What a gateway client answers, independent of the gateway."""

import math
from dataclasses import dataclass

from odoo.addons.crm_callcenter.tools.storable import INT_MAX, INT_MIN, NulFree

# Our outcome codes of a failed send. ``_send_sms_batch`` returns them as the
# result ``state``; core ``sms`` maps the first four to its own failure types,
# the others become tracker delivery errors (``sms_<code>``) or "unknown".
SERVER_ERROR = "server_error"  # sms_server
WRONG_NUMBER = "wrong_number_format"  # sms_number_format
NO_CREDIT = "insufficient_credit"  # sms_credit
BAD_ACCOUNT = "unregistered"  # sms_acc
REJECTED = "rejected"  # sms_rejected (bounce)
NOT_DELIVERED = "not_delivered"  # sms_not_delivered
INVALID_DESTINATION = "invalid_destination"  # sms_invalid_destination (bounce)
EXPIRED = "expired"  # sms_expired
UNKNOWN = "unknown"


@dataclass
class GatewayResult(NulFree):
    """Answer of one send request."""

    ok: bool
    message_id: str = ""
    cost: float = 0.0
    parts: int = 0
    error: str = ""  # one of the codes above
    reason: str = ""  # the gateway's words, for the user
    transient: bool = False  # worth trying another gateway


@dataclass
class GatewayStatus(NulFree):
    """A delivery status, from a poll or a callback."""

    state: str  # "sent" (still on its way), "delivered", "failed"
    error: str = ""
    reason: str = ""


def dig(data, path):
    """Value at a dotted ``path`` (``data.messages.0.id``) of decoded JSON."""
    if not path:
        return None
    value = data
    for key in path.split("."):
        if isinstance(value, list):
            try:
                value = value[int(key)]
            except (ValueError, IndexError):
                return None
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
        if value is None:
            return None
    return value


def to_float(value):
    """A number of a gateway's answer; 0.0 when it is none (or not finite:
    JSON can say 1e400)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def to_int(value):
    """An integer of a gateway's answer; 0 when it is none, or more than our
    Integer columns hold."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return 0
    return number if INT_MIN <= number <= INT_MAX else 0
