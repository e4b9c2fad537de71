"""Provider adapters, registered by code.

A new provider is one module here that registers its adapter class, plus a
``selection_add`` on ``crm.callcenter.provider.code``.
"""

from . import (
    asterisk_ari,
    freeswitch,
    generic,
    kazoo,
    mango,
    rostelecom,
    twilio,
    zadarma,
)
from .base import (
    ADAPTERS,
    DEFAULT_TIMEOUT,
    OriginateError,
    OriginateResult,
    PayloadError,
    ProviderAdapter,
    RecordingError,
    RecordingSource,
    StreamError,
    get_adapter,
)

__all__ = [
    "ADAPTERS",
    "DEFAULT_TIMEOUT",
    "OriginateError",
    "OriginateResult",
    "PayloadError",
    "ProviderAdapter",
    "RecordingError",
    "RecordingSource",
    "StreamError",
    "asterisk_ari",
    "freeswitch",
    "generic",
    "get_adapter",
    "kazoo",
    "mango",
    "rostelecom",
    "twilio",
    "zadarma",
]
