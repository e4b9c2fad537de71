"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

``v1,<base64(HMAC-SHA256(key, id + "." + timestamp + "." + body))>`` where the
key is the base64 part of a ``whsec_...`` secret.
"""

import base64
import binascii
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


class SignatureError(Exception):
    """The request is not authentically from the provider."""


def generate_secret(nbytes=32):
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode()


def _secret_key(secret):
    if not secret or not secret.startswith(SECRET_PREFIX):
        raise SignatureError("the provider has no valid webhook secret")
    try:
        return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise SignatureError("the provider has no valid webhook secret") from exc


def sign(secret, msg_id, timestamp, body):
    """Return the ``v1,...`` signature of ``body`` (bytes)."""
    key = _secret_key(secret)
    signed = b"%s.%s.%s" % (msg_id.encode(), str(timestamp).encode(), body)
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret, msg_id, timestamp, signature_header, body, now):
    """Raise :class:`SignatureError` unless one listed signature matches.

    ``now`` is the current Unix time; a timestamp further than five minutes
    from it is refused so that a captured request cannot be replayed later.
    """
    if not msg_id or not timestamp or not signature_header:
        raise SignatureError("missing webhook-id, webhook-timestamp or signature")
    try:
        ts = int(timestamp)
    except ValueError as exc:
        raise SignatureError("webhook-timestamp is not a Unix time") from exc
    if abs(now - ts) > TOLERANCE_SECONDS:
        raise SignatureError("webhook-timestamp is too far from the current time")
    expected = sign(secret, msg_id, timestamp, body).encode()
    for candidate in signature_header.split():
        if hmac.compare_digest(candidate.encode(), expected):
            return True
    raise SignatureError("no signature matches")
