"""A configurable HTTP SMS gateway.

The request body is a JSON template whose strings may hold placeholders,
replaced after parsing (so values are always JSON-escaped)::

    {"to": "{{number}}", "text": "{{body}}", "from": "{{sender}}",
     "client_ref": "{{reference}}"}

The answer is JSON; dotted paths pick the message id, the error, the cost
and the number of parts, e.g. ``{"data": {"id": "42", "price": "0.05"}}``
with id path ``data.id``. A 2xx answer without an error and with an id is a
success; 5xx, 429, timeouts and connection errors are transient.

Delivery reports come signed with Standard Webhooks (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``)::

    {"type": "sms.delivered", "timestamp": "2024-05-14T07:16:20Z",
     "data": {"id": "42", "to": "+79161234567", "status": "delivered"}}

``data.status`` (or the part of ``type`` after ``sms.``) is one of
``delivered``, ``failed``/``undelivered``/``rejected``/``expired`` (with an
optional ``data.error``), or ``sent``/``queued``/``accepted``.
"""

import json
import re

import requests

from . import common
from .common import GatewayResult, GatewayStatus

PLACEHOLDER_RE = re.compile(r"\{\{\s*(number|body|sender|reference)\s*\}\}")
DEFAULT_BODY_TEMPLATE = (
    '{"to": "{{number}}", "text": "{{body}}", "from": "{{sender}}", '
    '"reference": "{{reference}}"}'
)

CALLBACK_STATES = {
    "delivered": ("delivered", ""),
    "read": ("delivered", ""),
    "sent": ("sent", ""),
    "queued": ("sent", ""),
    "accepted": ("sent", ""),
    "sending": ("sent", ""),
    "failed": ("failed", common.NOT_DELIVERED),
    "undelivered": ("failed", common.NOT_DELIVERED),
    "rejected": ("failed", common.REJECTED),
    "expired": ("failed", common.EXPIRED),
}


class TemplateError(ValueError):
    """The body template is not a JSON object."""


def check_template(template):
    try:
        value = json.loads(template or "")
    except ValueError as exc:
        raise TemplateError(str(exc)) from exc
    if not isinstance(value, dict):
        raise TemplateError("the body template must be a JSON object")
    return value


def render(template, values):
    """The body template with placeholders replaced by ``values``."""

    def fill(node):
        if isinstance(node, str):
            return PLACEHOLDER_RE.sub(lambda m: str(values.get(m.group(1)) or ""), node)
        if isinstance(node, list):
            return [fill(item) for item in node]
        if isinstance(node, dict):
            return {key: fill(item) for key, item in node.items()}
        return node

    return fill(check_template(template))


class HttpGatewayClient:
    def __init__(self, config, session=None):
        """``config``: url, method, auth_header, auth_value, body_template,
        sender, id_path, error_path, cost_path, parts_path, timeout."""
        self.config = config
        self.session = session or requests.Session()

    def _request(self, payload):
        """The one transport of the client."""
        method = self.config.get("method") or "POST"
        headers = {"Accept": "application/json"}
        if self.config.get("auth_header") and self.config.get("auth_value"):
            headers[self.config["auth_header"]] = self.config["auth_value"]
        kwargs = {"headers": headers, "timeout": self.config.get("timeout") or 10}
        if method == "GET":
            kwargs["params"] = {
                k: v for k, v in payload.items() if not isinstance(v, (dict, list))
            }
        else:
            kwargs["json"] = payload
        return self.session.request(method, self.config["url"], **kwargs)

    def send(self, number, body, reference=None):
        try:
            payload = render(
                self.config.get("body_template") or DEFAULT_BODY_TEMPLATE,
                {
                    "number": number,
                    "body": body,
                    "sender": self.config.get("sender") or "",
                    "reference": reference or "",
                },
            )
        except TemplateError as exc:
            return GatewayResult(
                False, error=common.UNKNOWN, reason=f"body template: {exc}"
            )
        try:
            response = self._request(payload)
        except requests.Timeout:
            return GatewayResult(
                False, error=common.SERVER_ERROR, reason="timeout", transient=True
            )
        except requests.RequestException as exc:
            return GatewayResult(
                False,
                error=common.SERVER_ERROR,
                reason=type(exc).__name__,
                transient=True,
            )
        return self.parse_send(response.status_code, response.text)

    def parse_send(self, status_code, text):
        try:
            data = json.loads(text) if text else {}
        except ValueError:
            data = {}
        error = common.dig(data, self.config.get("error_path") or "error")
        if isinstance(error, dict):
            error = error.get("message") or json.dumps(error)
        if status_code >= 500 or status_code == 429:
            reason = str(error or f"HTTP {status_code}")
            return GatewayResult(
                False, error=common.SERVER_ERROR, reason=reason, transient=True
            )
        if status_code >= 400 or error:
            code = {
                401: common.BAD_ACCOUNT,
                402: common.NO_CREDIT,
                403: common.BAD_ACCOUNT,
            }
            return GatewayResult(
                False,
                error=code.get(status_code, common.UNKNOWN),
                reason=str(error or f"HTTP {status_code}"),
            )
        message_id = common.dig(data, self.config.get("id_path") or "id")
        if message_id in (None, ""):
            return GatewayResult(
                False, error=common.UNKNOWN, reason="no message id in the answer"
            )
        return GatewayResult(
            True,
            message_id=str(message_id),
            cost=common.to_float(common.dig(data, self.config.get("cost_path"))),
            parts=common.to_int(common.dig(data, self.config.get("parts_path"))) or 1,
        )

    @staticmethod
    def parse_callback(body):
        """``(message_id, GatewayStatus)`` of a delivery report; ValueError
        when it is not one."""
        data = json.loads(body)
        if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
            raise ValueError("no data object")
        message = data["data"]
        message_id = message.get("id")
        if message_id in (None, ""):
            raise ValueError("no message id")
        status = str(message.get("status") or "")
        if not status and str(data.get("type") or "").startswith("sms."):
            status = data["type"][4:]
        if status.lower() not in CALLBACK_STATES:
            raise ValueError(f"unknown status {status!r}")
        state, error = CALLBACK_STATES[status.lower()]
        reason = str(message.get("error") or message.get("reason") or "")
        if state == "failed":
            reason = reason or status
        return str(message_id), GatewayStatus(state, error=error, reason=reason)
