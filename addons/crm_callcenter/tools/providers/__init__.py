"""Provider adapters, registered by code.

A new provider is one module here that registers its adapter class, plus a
``selection_add`` on ``crm.callcenter.provider.code``.
"""

from . import generic, twilio, zadarma
from .base import (
    ADAPTERS,
    DEFAULT_TIMEOUT,
    OriginateError,
    OriginateResult,
    PayloadError,
    ProviderAdapter,
    get_adapter,
)

__all__ = [
    "ADAPTERS",
    "DEFAULT_TIMEOUT",
    "OriginateError",
    "OriginateResult",
    "PayloadError",
    "ProviderAdapter",
    "generic",
    "get_adapter",
    "twilio",
    "zadarma",
]
