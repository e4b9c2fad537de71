"""Base class of provider adapters (pure Python, no ORM).

An adapter turns a provider's wire format into :class:`CallEvent` objects
and back: it authenticates webhooks, parses them, says what to answer,
originates calls (click-to-call) and, for websocket providers, says how to
connect and how to read a message. It never touches the database: the
controller, the websocket listener and the models call it with plain data.
"""

import dataclasses
import posixpath
from urllib.parse import quote, urlsplit

import requests

from odoo.tools.translate import LazyTranslate

# Defined with the events (they refuse out-of-range values); adapters import
# it from here.
from ..call_event import PayloadError  # noqa: F401
from ..signature import SignatureError
from ..storable import NulFree

_lt = LazyTranslate(__name__, default_lang="en_US")

ADAPTERS = {}

# Every outbound request of an adapter carries a timeout (seconds): a
# provider that hangs must not hold an Odoo worker.
DEFAULT_TIMEOUT = 10


class StreamError(Exception):
    """A websocket provider says this event stream must be dropped (Asterisk
    ARI ``ApplicationReplaced``: another client took the application).

    The listener closes the connection, records the message as the stream's
    error and reconnects only after its longest backoff delay.
    """


class OriginateError(Exception):
    """The provider refused or failed to originate a call.

    The message is shown to the user as is: keep it short, translated by the
    caller when it is one of ours, and free of secrets.
    """


class RecordingError(Exception):
    """A call's recording cannot be had; the message is shown to the user
    (short, translated, free of secrets)."""


@dataclasses.dataclass
class RecordingSource:
    """Where a call's recording is downloaded from.

    Odoo fetches ``url`` and relays the audio when only Odoo may fetch it:
    with provider credentials (``auth`` for Basic auth, or ``headers``), or
    a link bound to Odoo's address or good for one download (``relay``).
    Otherwise the browser is sent to ``url`` (a public or short-lived
    signed link).
    """

    url: str
    auth: tuple | None = None
    headers: dict | None = None
    relay: bool = False

    @property
    def relayed(self):
        return bool(self.relay or self.auth or self.headers)


def is_web_url(value):
    """Whether ``value`` is an http(s) link (what a browser may be sent to)."""
    return bool(value) and urlsplit(value).scheme in ("http", "https")


def open_recording(source, timeout, range_header=None):
    """``GET`` a recording from where :class:`RecordingSource` says, as a
    streamed response (200, or 206 for a ``range_header``); raises
    :class:`RecordingError` when the center fails or refuses."""
    headers = dict(source.headers or {})
    if range_header:
        headers["Range"] = range_header
    try:
        response = requests.get(
            source.url,
            auth=source.auth,
            headers=headers,
            stream=True,
            timeout=timeout,
            # requests drops Basic auth on a redirect to another host, not
            # other headers: a token-authenticated fetch follows none.
            allow_redirects=not source.headers,
        )
    except requests.RequestException as exc:
        raise RecordingError(
            _lt("The recording cannot be downloaded from the center.")
        ) from exc
    if response.status_code not in (200, 206):
        response.close()
        raise RecordingError(
            _lt(
                "The center refused the recording (HTTP %(status)s).",
                status=response.status_code,
            )
        )
    return response


def file_recording_source(config, path):
    """The :class:`RecordingSource` of a recording a self-hosted PBX keeps
    as a file (``path``, absolute or relative to its recordings folder),
    from the web server that serves that folder (provider settings
    ``recording_folder``, ``recording_base_url`` and its optional Basic
    auth). Relayed by Odoo: the PBX need not face the agents' browsers.
    Never a path outside the folder."""
    base_url = (config.get("recording_base_url") or "").strip()
    if not is_web_url(base_url):
        raise RecordingError(
            _lt(
                "The PBX keeps this recording as a file: set the URL its "
                "recordings folder is served at on the provider to play it "
                "from Odoo."
            )
        )
    outside = RecordingError(
        _lt("The recording is not in the recordings folder set on the provider.")
    )
    path = (path or "").strip()
    folder = (config.get("recording_folder") or "").strip()
    relative = posixpath.normpath(path) if path else ""
    if relative.startswith("/"):
        root = posixpath.normpath(folder) if folder.startswith("/") else None
        if root == "/":
            relative = relative[1:]
        elif root and relative.startswith(root + "/"):
            relative = relative[len(root) + 1 :]
        else:
            raise outside
    if not relative or relative == "." or relative.split("/")[0] == "..":
        raise outside
    user = config.get("recording_username")
    return RecordingSource(
        url=f"{base_url.rstrip('/')}/{quote(relative)}",
        auth=(user, config.get("recording_password") or "") if user else None,
        relay=True,
    )


@dataclasses.dataclass
class OriginateResult(NulFree):
    """What a provider answered to a click-to-call request."""

    # The provider's call-level id when it gives one at once (Twilio CallSid,
    # ARI channel id); later events of the call carry it.
    external_call_id: str | None = None
    # The id later events echo when the provider does not give a call id
    # (Mango command_id, Kazoo custom var); defaults to the one we sent.
    correlation_id: str | None = None


def api_request(method, url, *, provider, timeout, **kwargs):
    """One request to a provider's API on behalf of a user (click-to-call).

    Returns ``(response, doc)`` where ``doc`` is the answer's JSON object
    (``{}`` when it is not one). A timeout, a connection failure or a 5xx
    raises :class:`OriginateError` with a message naming ``provider``; 4xx
    answers are the caller's to read (each provider words its refusals).
    """
    try:
        response = requests.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        raise OriginateError(
            _lt(
                "%(provider)s did not answer within %(seconds)s seconds.",
                provider=provider,
                seconds=timeout,
            )
        ) from exc
    except requests.RequestException as exc:
        raise OriginateError(
            _lt("%(provider)s cannot be reached.", provider=provider)
        ) from exc
    if response.status_code >= 500:
        raise OriginateError(
            _lt(
                "%(provider)s is unavailable (HTTP %(status)s); try again later.",
                provider=provider,
                status=response.status_code,
            )
        )
    try:
        doc = response.json()
    except ValueError:
        doc = {}
    return response, doc if isinstance(doc, dict) else {}


def register(cls):
    ADAPTERS[cls.code] = cls
    return cls


def get_adapter(code):
    try:
        return ADAPTERS[code]()
    except KeyError as exc:
        raise LookupError(f"no adapter for provider code {code!r}") from exc


class ProviderAdapter:
    """What the webhook controller, the listener and the inbox need.

    ``headers`` is a case-insensitive mapping, ``body`` raw bytes, ``url``
    the URL as the provider saw it (Odoo in ``proxy_mode`` behind a proxy).
    ``config`` is a mapping of the provider record's settings and secrets
    (``crm.callcenter.provider._get_adapter_config``); ``config["timeout"]``
    is the timeout of outbound requests.

    ``parse`` must work from the body alone: failed events are parsed again
    from the stored body by the retry cron, without the headers.
    """

    code = None
    # Websocket providers (Asterisk ARI, Kazoo Blackhole): the listener
    # (``odoo-bin callcenter_listen``) holds their connection.
    websocket = False
    # Whether click-to-call is possible with this provider.
    can_originate = False
    # True when the correlation ids of the provider's events are not unique
    # to one click (Zadarma's are built from the extension and the number,
    # so later calls between the two carry the same one): a click-to-call
    # row is then adopted only by the first call that reaches it. Otherwise
    # every leg carrying the id lands on the row (Kazoo rings several
    # devices of the agent, each its own leg).
    correlation_ids_recur = False
    # What a call's recording reference (``recording_id``) is to this
    # provider: None (only links are played), "id" (recording_source asks
    # the provider for the audio by it) or "file" (a file the PBX keeps,
    # see file_recording_source).
    recording_reference = None

    # -- webhooks --------------------------------------------------------

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
        """What the provider expects back: ``(status, body)``.

        A dict or list body is sent as JSON, a str as ``text/plain``.
        """
        return 200, {"status": "ok"}

    def stored_body(self, body, suffix=None):
        """The body to parse and store, from the body as received.

        ``suffix`` is what follows the webhook URL in a POST to
        ``<webhook URL>/<suffix>``, else None. Providers that append their
        own path to the URL the administrator gives them (Mango:
        ``/events/call``, ``/events/summary``...) keep it in the returned
        body, so that ``parse`` and the retry cron, which only see the
        stored body, know it. The inbox stores text: a body in another
        charset is re-encoded to UTF-8 here. Return None to answer 404 (the
        default for any suffix: the provider does not post to sub-paths).
        The signature is checked on the body as received.
        """
        return body if suffix is None else None

    def handle_get(self, config, args, headers):
        """Answer a GET on the webhook URL (URL checks such as Zadarma's
        ``zd_echo``): ``(status, body)``, or None when the provider never
        sends GETs (answered 405)."""
        return None

    def sample_request(self, config, url, now):
        """A signed sample request as the provider would send it to ``url``:
        ``(body_bytes, headers_dict)``. Used by "Send Test Event", which
        posts it through real HTTP to the provider's own webhook URL."""
        raise NotImplementedError

    # -- caller lookup (PBX routing) -----------------------------------------

    def verify_lookup(self, config, headers, target, url, now):
        """Raise :class:`SignatureError` unless a caller lookup is authentic.

        A lookup is ``GET /callcenter/lookup/<token>?number=...``: the PBX
        asks who calls before routing the call. ``target`` is the request
        target as bytes, path and query exactly as sent
        (``b"/callcenter/lookup/<token>?number=%2B84901234567"``). By default
        the unguessable token of the URL is the only credential; adapters of
        providers that sign such requests check the signature here.
        """
        return None

    # -- click-to-call -----------------------------------------------------

    def originate(self, config, agent_extension, number, correlation_id):
        """Ask the provider to ring ``agent_extension`` then call ``number``.

        ``number`` is E.164. Return an :class:`OriginateResult`; raise
        :class:`OriginateError` with a user-readable message on any refusal,
        HTTP error or timeout (``config["timeout"]`` seconds).
        """
        raise OriginateError("this provider cannot place calls")

    # -- call recordings -----------------------------------------------------

    def has_recording(self, recording_url, recording_id):
        """Whether a call with these values has a recording to listen to."""
        if recording_id and self.recording_reference:
            return True
        return is_web_url(recording_url)

    def recording_source(self, config, recording_url, recording_id):
        """The :class:`RecordingSource` of a call's recording, asked when a
        user plays it (links of some providers only live a few minutes).

        By default the PBX's file, for providers whose reference is one,
        else the link the center reported. Raise :class:`RecordingError`
        when the provider refuses or fails.
        """
        if recording_id and self.recording_reference == "file":
            return file_recording_source(config, recording_id)
        if not is_web_url(recording_url):
            raise RecordingError(_lt("This call has no recording."))
        return RecordingSource(url=recording_url)

    # -- websocket event streams --------------------------------------------

    def ws_url(self, config):
        """URL of the provider's event websocket."""
        raise NotImplementedError

    def ws_headers(self, config):
        """Headers of the websocket handshake (authentication)."""
        return {}

    def ws_subscribe(self, config):
        """Messages (str) to send right after each (re)connection."""
        return []

    def ws_live_call_ids(self, config):
        """External ids of the calls in progress at the center now, or None
        when the provider cannot tell.

        Asked each time the event stream (re)connects: the calls Odoo still
        holds open that are not among them ended while the stream was down
        (a websocket replays nothing). Raise ``requests.RequestException``,
        ``ConnectionError`` or ``ValueError`` when the answer cannot be had
        or read: never answer a partial list.
        """
        return None

    def ws_parse(self, message):
        """``(dedup_key, events)`` of one websocket message (str).

        ``dedup_key`` None means the message carries nothing to store
        (keep-alive, subscription reply). Raise PayloadError when it cannot
        be read, StreamError when the stream must be dropped.
        """
        raise NotImplementedError
