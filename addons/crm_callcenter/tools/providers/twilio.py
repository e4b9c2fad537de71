"""Twilio Programmable Voice: status callbacks and the Calls API.

Twilio posts form-encoded status callbacks, signed with the account's auth
token (``X-Twilio-Signature``). A status callback of one leg looks like::

    AccountSid=AC5ef8...&ApiVersion=2010-04-01&CallSid=CA42ed...
    &ParentCallSid=CA9f1c...            (child legs of a <Dial> only)
    &CallStatus=in-progress             (initiated|ringing|in-progress|completed
                                         |busy|no-answer|canceled|failed)
    &Direction=outbound-dial            (inbound|outbound-api|outbound-dial)
    &From=%2B14155550100&To=client%3Aagent101
    &CallbackSource=call-progress-events&SequenceNumber=2
    &Timestamp=Tue%2C+14+May+2024+07%3A16%3A20+%2B0000
    &CallDuration=65                    (completed only)
    &RecordingUrl=...&RecordingSid=RE...  (recordings, also in their own callback)

One CRM call is the parent call (``CallSid`` of the first leg, the
``ParentCallSid`` of its ``<Dial>`` legs):

* the parent leg of an inbound call is the customer; Twilio itself answers
  it (TwiML, IVR, queue), so its ``in-progress`` is *not* an answer and its
  end is the end of the call;
* a child leg is what ``<Dial>`` rang: an agent (``client:NAME``,
  ``sip:ext@domain`` or a phone number); its ``in-progress`` is the answer
  (an agent picked up, or, for a call placed from Odoo, the customer
  picked up while the agent was already on the line); its end is not the
  end of the call (the TwiML may go on: another agent, voicemail);
* a call placed from Odoo (click-to-call) calls the agent first (parent
  leg, ``outbound-api`` to the agent endpoint), then ``<Dial>`` rings the
  customer (child leg).
"""

import base64
import hashlib
import hmac
import re
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit
from xml.sax.saxutils import escape, quoteattr

from odoo.tools.translate import LazyTranslate

from ..call_event import CallEvent, aware_to_utc
from ..signature import SignatureError
from .base import (
    OriginateError,
    OriginateResult,
    PayloadError,
    ProviderAdapter,
    RecordingError,
    RecordingSource,
    api_request,
    is_web_url,
    register,
)

_lt = LazyTranslate(__name__)

API_URL = "https://api.twilio.com/2010-04-01/Accounts/{sid}/Calls.json"
# The only host the account's credentials are sent to for a recording.
RECORDING_HOST = "api.twilio.com"
TEST_MARKER = "odoo-test-"
STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")
RINGING_STATUSES = ("queued", "initiated", "ringing")
TERMINAL_OUTCOMES = {
    "completed": None,  # the fold tells answered from missed
    "busy": "busy",
    "no-answer": "no_answer",
    "canceled": "cancelled",
    "failed": "failed",
}
DEFAULT_PORTS = {"https": 443, "http": 80}
MAX_TEXT = 1024
_SIP_USER_RE = re.compile(r"^sips?:([^@;>]+)", re.IGNORECASE)


def agent_endpoint_name(address):
    """The agent a Twilio address designates, or None for a phone number.

    ``client:agent101`` → ``agent101``; ``sip:101@pbx.sip.twilio.com`` →
    ``101``.
    """
    if not address:
        return None
    if address.lower().startswith("client:"):
        return address[len("client:") :].strip() or None
    match = _SIP_USER_RE.match(address.strip())
    return match.group(1) if match else None


def effective_url(url, public_base_url=None):
    """The URL Twilio requested: Odoo's own URL, or the same path and query
    under the configured public base URL (proxy without ``proxy_mode``)."""
    if not public_base_url:
        return url
    parts = urlsplit(url)
    base = public_base_url.strip().rstrip("/")
    return base + parts.path + (f"?{parts.query}" if parts.query else "")


def _url_variants(url):
    """The URL with and without its default port, as sent and re-encoded.

    Twilio's own validator tries both port forms; Werkzeug gives an IRI
    (non-ASCII decoded) where Twilio signed what it requested
    (percent-encoded).
    """
    variants = []
    for candidate in (url, quote(url, safe="/:?&=%+@;,$!*'()~#[]")):
        parts = urlsplit(candidate)
        default = DEFAULT_PORTS.get(parts.scheme)
        forms = [candidate]
        if default and parts.hostname:
            if parts.port is None:
                netloc = f"{parts.netloc}:{default}"
                forms.append(urlunsplit(parts._replace(netloc=netloc)))
            elif parts.port == default:
                netloc = parts.netloc.rsplit(":", 1)[0]
                forms.append(urlunsplit(parts._replace(netloc=netloc)))
        variants.extend(form for form in forms if form not in variants)
    return variants


def compute_signature(auth_token, url, params):
    """``base64(HMAC-SHA1(token, url + name1 + value1 + ...))``, names sorted
    and the values of a repeated name sorted too (PROTOCOLS.md §4.3)."""
    signed = url
    for name in sorted(params):
        for value in sorted(params[name]):
            signed += name + value
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _form(body):
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError("body is not UTF-8 form data") from exc
    return parse_qs(text, keep_blank_values=True)


def _fields(form):
    """One value per name (Voice requests never repeat a name), stripped."""
    fields = {}
    for name, values in form.items():
        value = values[0].strip() if values else ""
        if len(value) > MAX_TEXT:
            raise PayloadError(f"{name} is too long")
        if value:
            fields[name] = value
    return fields


def _request_key(fields):
    """One key per Twilio request, stable across retries:
    ``<CallSid>:seq:<n>`` for status callbacks, ``:recording:<RE..>`` for
    recording callbacks, ``:dial:`` for ``<Dial action>`` requests."""
    call_sid = fields.get("CallSid")
    if not call_sid:
        return ""
    if fields.get("RecordingSid") and not fields.get("CallStatus"):
        status = fields.get("RecordingStatus") or "completed"
        kind = f"recording:{fields['RecordingSid']}:{status}"
    elif fields.get("DialCallStatus"):
        kind = f"dial:{fields['DialCallStatus']}:{fields.get('DialCallSid', '')}"
    elif fields.get("SequenceNumber"):
        kind = "seq:" + fields["SequenceNumber"]
    else:
        kind = "status:" + fields.get("CallStatus", "")
    return f"{call_sid}:{kind}"


def _timestamp(value):
    """RFC 2822 ``Tue, 14 May 2024 07:16:20 +0000`` → naive UTC."""
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError) as exc:
        raise PayloadError("Timestamp is not an RFC 2822 date") from exc
    if moment.tzinfo is None:
        raise PayloadError("Timestamp must carry a UTC offset")
    return aware_to_utc(moment, "Timestamp")


@register
class TwilioAdapter(ProviderAdapter):
    code = "twilio"
    can_originate = True

    # -- webhooks --------------------------------------------------------

    def verify(self, config, headers, body, url, now):
        token = config.get("twilio_auth_token")
        if not token:
            raise SignatureError("the provider has no Twilio auth token")
        received = headers.get("X-Twilio-Signature")
        if not received:
            raise SignatureError("missing X-Twilio-Signature")
        url = effective_url(url, config.get("twilio_public_base_url"))
        query = parse_qs(urlsplit(url).query)
        if "bodySHA256" in query:
            # JSON-body webhooks: the URL alone is signed, the body by its hash.
            params = {}
            digest = hashlib.sha256(body).hexdigest()
            if not hmac.compare_digest(digest, query["bodySHA256"][0]):
                raise SignatureError("body does not match bodySHA256")
        else:
            try:
                params = _form(body)
            except PayloadError as exc:
                raise SignatureError("body is not form data") from exc
        for variant in _url_variants(url):
            expected = compute_signature(token, variant, params)
            if hmac.compare_digest(expected.encode(), received.encode()):
                break
        else:
            raise SignatureError("X-Twilio-Signature does not match")
        account = config.get("twilio_account_sid")
        sent_account = params.get("AccountSid", [None])[0]
        if account and sent_account and sent_account != account:
            raise SignatureError("request of another Twilio account")

    def request_key(self, headers, body, events):
        return _request_key(_fields(_form(body)))

    def parse(self, body, headers=None):
        fields = _fields(_form(body))
        call_sid = fields.get("CallSid")
        if not call_sid:
            raise PayloadError("CallSid is required")
        if call_sid.startswith(TEST_MARKER):
            return []
        status = (fields.get("CallStatus") or "").lower()
        recording_status = (fields.get("RecordingStatus") or "completed").lower()
        if (
            fields.get("RecordingSid")
            and not status
            and recording_status != "completed"
        ):
            # Recording status callback: only a finished recording is news.
            return []
        sequence = fields.get("SequenceNumber")
        if sequence is not None:
            try:
                sequence = int(sequence)
            except ValueError as exc:
                raise PayloadError("SequenceNumber must be an integer") from exc
        parent_sid = fields.get("ParentCallSid")
        event = CallEvent(
            provider=self.code,
            external_call_id=parent_sid or call_sid,
            event=status or ("recording" if fields.get("RecordingSid") else "dial"),
            dedup_key=_request_key(fields),
            leg_id=call_sid,
            sequence=sequence,
            event_time=_timestamp(fields.get("Timestamp")),
            caller_name=fields.get("CallerName"),
            recording_url=fields.get("RecordingUrl"),
            recording_id=fields.get("RecordingSid"),
        )
        if parent_sid:
            self._map_child_leg(event, fields, status)
        else:
            self._map_parent_leg(event, fields, status)
        if fields.get("DialCallStatus") and not event.hangup_cause:
            # <Dial action> callback on the parent: what the dialed leg did
            # (an agent busy is no outcome of the call).
            event.hangup_cause = "dial " + fields["DialCallStatus"]
        return [event]

    def _map_parent_leg(self, event, fields, status):
        """The first leg: the customer (inbound), or the agent for calls
        created by the Calls API to an agent endpoint or placed from a
        Twilio Client/SIP softphone."""
        sender, recipient = fields.get("From"), fields.get("To")
        direction = (fields.get("Direction") or "inbound").lower()
        agent_from = agent_endpoint_name(sender)
        agent_to = agent_endpoint_name(recipient)
        if agent_from:
            # The agent's softphone calls the customer.
            event.direction = "outbound"
            event.agent_extension = agent_from
            event.to_number = recipient
        elif direction.startswith("outbound") and agent_to:
            # Click-to-call: the agent's endpoint is called first.
            event.direction = "outbound"
            event.agent_extension = agent_to
            event.from_number = sender
        elif direction.startswith("outbound"):
            event.direction = "outbound"
            event.from_number = sender
            event.to_number = recipient
        else:
            event.direction = "inbound"
            event.from_number = sender
            event.to_number = recipient
            event.did = recipient
        if status in RINGING_STATUSES:
            event.state = "ringing"
            event.started_at = event.event_time
        elif status in TERMINAL_OUTCOMES:
            # The parent leg gone is the call gone.
            event.state = "ended"
            event.ended_at = event.event_time
            event.outcome = TERMINAL_OUTCOMES[status]
            event.hangup_cause = self._cause(status, fields)
        # in-progress: Twilio (TwiML, IVR, queue) or the calling agent
        # answered the first leg; nobody talks to the customer yet.

    def _map_child_leg(self, event, fields, status):
        """A leg rung by ``<Dial>``: the agent of an inbound call, or the
        customer of a call placed from Odoo or from a softphone."""
        sender, recipient = fields.get("From"), fields.get("To")
        agent_to = agent_endpoint_name(recipient)
        if agent_to:
            event.direction = "inbound"
            event.agent_extension = agent_to
            event.from_number = sender
        elif agent_endpoint_name(sender) or agent_endpoint_name(fields.get("Caller")):
            event.direction = "outbound"
            event.agent_extension = agent_endpoint_name(sender) or (
                agent_endpoint_name(fields.get("Caller"))
            )
            event.to_number = recipient
        else:
            # A phone number: an inbound call forwarded to an agent's phone,
            # or the customer of a call placed from Odoo (whose row exists
            # already). Who it is cannot be told from the leg alone.
            event.direction = "inbound"
            event.from_number = sender
        if status in RINGING_STATUSES:
            event.state = "ringing"
            event.started_at = event.event_time
        elif status == "in-progress":
            # Both parties are bridged: the agent (or the called customer)
            # picked up.
            event.state = "answered"
            event.answered_at = event.event_time
        elif status in TERMINAL_OUTCOMES:
            # A dialed leg ending does not end the call (the TwiML goes on);
            # its status is no outcome of the whole call either.
            event.hangup_cause = self._cause(status, fields)

    @staticmethod
    def _cause(status, fields):
        sip_code = fields.get("SipResponseCode")
        return f"{status} (SIP {sip_code})" if sip_code else status

    def reply(self, events):
        # Status callbacks ignore the body; an empty TwiML document is also
        # a harmless answer where Twilio expects instructions.
        return 200, '<?xml version="1.0" encoding="UTF-8"?><Response/>'

    def sample_request(self, config, url, now):
        params = {
            "AccountSid": config.get("twilio_account_sid") or "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
            "CallSid": f"{TEST_MARKER}{now}",
            "CallStatus": "ringing",
            "Direction": "inbound",
            "From": "+10000000000",
            "To": "+10000000001",
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
        }
        body = "&".join(
            f"{quote(name, safe='')}={quote(value, safe='')}"
            for name, value in params.items()
        ).encode()
        signature = compute_signature(
            config.get("twilio_auth_token") or "",
            effective_url(url, config.get("twilio_public_base_url")),
            {name: [value] for name, value in params.items()},
        )
        return body, {
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "X-Twilio-Signature": signature,
        }

    # -- call recordings -----------------------------------------------------

    def recording_source(self, config, recording_url, recording_id):
        """``RecordingUrl`` with ``.mp3`` appended (Twilio serves the media
        in the format its extension names). Fetched with the account's
        credentials, which "HTTP auth for media" requires: the credentials
        only ever go to Twilio's API host."""
        if not is_web_url(recording_url):
            raise RecordingError(_lt("This call has no recording."))
        parts = urlsplit(recording_url)
        if parts.hostname != RECORDING_HOST:
            return RecordingSource(url=recording_url)
        path = parts.path
        if not path.lower().endswith((".mp3", ".wav")):
            path += ".mp3"
        url = urlunsplit(parts._replace(path=path))
        sid = config.get("twilio_account_sid")
        token = config.get("twilio_auth_token")
        return RecordingSource(url=url, auth=(sid, token) if sid and token else None)

    # -- click-to-call -----------------------------------------------------

    def originate(self, config, agent_extension, number, correlation_id):
        """Call the agent's endpoint, then ``<Dial>`` the customer.

        ``POST /2010-04-01/Accounts/{sid}/Calls.json`` (Basic sid:token)
        answers 201 with the new call's ``sid``: later callbacks carry it as
        ``CallSid`` (parent leg) or ``ParentCallSid`` (the customer's leg).
        """
        sid = config.get("twilio_account_sid")
        token = config.get("twilio_auth_token")
        caller_id = config.get("twilio_caller_id")
        if not (sid and token and caller_id):
            raise OriginateError(
                _lt(
                    "Twilio is not configured: set the account SID, the auth "
                    "token and the caller ID on the provider."
                )
            )
        if not agent_extension:
            raise OriginateError(
                _lt("You have no extension on this provider to call from.")
            )
        pattern = config.get("twilio_agent_endpoint") or "client:{extension}"
        agent = pattern.replace("{extension}", agent_extension)
        callback = config.get("twilio_status_callback_url")
        number_attrs = ""
        data = [("To", agent), ("From", caller_id)]
        if callback:
            # The customer's leg reports too: its answer is the call's.
            number_attrs = " statusCallback={} statusCallbackEvent={}".format(
                quoteattr(callback), quoteattr(" ".join(STATUS_EVENTS))
            )
            data += [("StatusCallback", callback), ("StatusCallbackMethod", "POST")]
            data += [("StatusCallbackEvent", name) for name in STATUS_EVENTS]
        data.append(
            (
                "Twiml",
                f"<Response><Dial callerId={quoteattr(caller_id)}>"
                f"<Number{number_attrs}>{escape(number)}</Number>"
                "</Dial></Response>",
            )
        )
        response, doc = api_request(
            "POST",
            API_URL.format(sid=quote(sid, safe="")),
            provider="Twilio",
            timeout=config["timeout"],
            data=data,
            auth=(sid, token),
        )
        if response.status_code >= 400:
            message = str(doc.get("message") or response.reason or "")[:200]
            raise OriginateError(
                _lt(
                    "Twilio refused the call (HTTP %(status)s): %(message)s",
                    status=response.status_code,
                    message=message,
                )
            )
        call_sid = doc.get("sid")
        if not call_sid or not isinstance(call_sid, str):
            raise OriginateError(_lt("Twilio's answer carries no call id."))
        return OriginateResult(external_call_id=call_sid, correlation_id=correlation_id)
