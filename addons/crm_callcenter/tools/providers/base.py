"""Base class of provider adapters (pure Python, no ORM)."""

from ..signature import SignatureError

ADAPTERS = {}


class PayloadError(ValueError):
    """The body cannot be read as the provider's format (answered with 400)."""


def register(cls):
    ADAPTERS[cls.code] = cls
    return cls


def get_adapter(code):
    try:
        return ADAPTERS[code]()
    except KeyError as exc:
        raise LookupError(f"no adapter for provider code {code!r}") from exc


class ProviderAdapter:
    """What the webhook controller and the inbox need from a provider.

    ``request`` arguments are plain data: ``headers`` (case-insensitive
    mapping), ``body`` (raw bytes), ``url`` (as the provider saw it).
    ``config`` is a mapping of the provider record's settings and secrets.
    """

    code = None

    def verify(self, config, headers, body, url, now):
        """Raise :class:`SignatureError` unless the request is authentic."""
        raise SignatureError("this provider cannot authenticate webhooks")

    def request_key(self, headers, body, events):
        """The inbox dedup key of one request (stable across redeliveries)."""
        return "|".join(event.dedup_key for event in events)

    def parse(self, body, headers=None):
        """Return the list of CallEvent of a request; raise PayloadError."""
        raise NotImplementedError

    def reply(self, events):
        """What the provider expects back: ``(status, json_body)``."""
        return 200, {"status": "ok"}
