"""SMSC.ru HTTP API (also smscentre.com, smsc.kz and white labels).

Send (``POST <base>/sys/send.php``, form encoded)::

    login=acme&psw=s3cr3t&phones=%2B79161234567&mes=...&sender=ACME
    &fmt=3&charset=utf-8&cost=3&id=97

(or ``apikey=...`` instead of login/psw) answers HTTP 200 in all cases::

    {"id": 97, "cnt": 1, "cost": "2.40", "balance": "1034.56"}
    {"error": "authorise error", "error_code": 2}

Status (``GET <base>/sys/status.php?...&phone=79161234567&id=97&fmt=3``)::

    {"status": 1, "last_date": "14.05.2024 10:16:20", "last_timestamp": 1715670980}
    {"status": 20, "err": 1, ...}

Delivery callback (form POST to the handler URL set in the SMSC account):
``id``, ``phone``, ``status``, ``err`` (field names configurable: the
vendor's callback page could not be checked).
"""

import requests

from . import common
from .common import GatewayResult, GatewayStatus

DEFAULT_BASE_URL = "https://smsc.ru"

# error_code of send.php -> (our code, transient: another gateway may succeed)
SEND_ERRORS = {
    1: (common.UNKNOWN, False),  # parameter error
    2: (common.BAD_ACCOUNT, False),  # bad login/password
    3: (common.NO_CREDIT, False),  # insufficient funds
    4: (common.SERVER_ERROR, True),  # IP temporarily blocked after errors
    5: (common.UNKNOWN, False),  # bad date format
    6: (common.REJECTED, False),  # text or sender name prohibited
    7: (common.WRONG_NUMBER, False),  # bad phone number format
    8: (common.NOT_DELIVERED, False),  # cannot be delivered to this number
    9: (common.SERVER_ERROR, True),  # too many (identical) requests
}

# status codes of status.php and of the callback
DELIVERED = {1, 2, 4}  # delivered, read, link clicked
PENDING = {-1, 0}  # waiting, handed to the operator
FAILED = {
    -3: common.NOT_DELIVERED,  # not found
    -2: common.NOT_DELIVERED,  # stopped
    3: common.EXPIRED,
    20: common.NOT_DELIVERED,
    22: common.INVALID_DESTINATION,
    23: common.REJECTED,
    24: common.NOT_DELIVERED,  # insufficient funds
    25: common.INVALID_DESTINATION,
}


class SmscClient:
    def __init__(self, config, session=None):
        """``config``: base_url, login, password, api_key, sender, charset,
        timeout."""
        self.config = config
        self.session = session or requests.Session()

    def _auth(self):
        if self.config.get("api_key"):
            return {"apikey": self.config["api_key"]}
        return {
            "login": self.config.get("login") or "",
            "psw": self.config.get("password") or "",
        }

    def _request(self, method, path, params):
        """The one transport of the client: JSON answer or RequestException."""
        url = (self.config.get("base_url") or DEFAULT_BASE_URL).rstrip("/") + path
        kwargs = {"timeout": self.config.get("timeout") or 10}
        if method == "GET":
            kwargs["params"] = params
        else:
            kwargs["data"] = params
        response = self.session.request(method, url, **kwargs)
        response.raise_for_status()
        return response.json()

    def send(self, number, body, reference=None):
        params = {
            **self._auth(),
            "phones": number,
            "mes": body,
            "fmt": 3,
            "charset": self.config.get("charset") or "utf-8",
            "cost": 3,
        }
        if self.config.get("sender"):
            params["sender"] = self.config["sender"]
        if reference:
            params["id"] = reference
        try:
            data = self._request("POST", "/sys/send.php", params)
        except requests.Timeout:
            return GatewayResult(
                False, error=common.SERVER_ERROR, reason="timeout", transient=True
            )
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            return GatewayResult(
                False,
                error=common.SERVER_ERROR,
                reason=f"HTTP {status}",
                transient=status >= 500 or status == 429,
            )
        except requests.RequestException as exc:
            return GatewayResult(
                False,
                error=common.SERVER_ERROR,
                reason=type(exc).__name__,
                transient=True,
            )
        except ValueError:
            return GatewayResult(
                False,
                error=common.SERVER_ERROR,
                reason="invalid JSON answer",
                transient=True,
            )
        return self.parse_send(data)

    @staticmethod
    def parse_send(data):
        if not isinstance(data, dict):
            return GatewayResult(
                False, error=common.UNKNOWN, reason="unexpected answer"
            )
        if "error" in data or "error_code" in data:
            code = common.to_int(data.get("error_code"))
            error, transient = SEND_ERRORS.get(code, (common.UNKNOWN, False))
            reason = f"SMSC {code}: {data.get('error') or ''}".strip()
            return GatewayResult(False, error=error, reason=reason, transient=transient)
        if data.get("id") in (None, ""):
            return GatewayResult(False, error=common.UNKNOWN, reason="no message id")
        return GatewayResult(
            True,
            message_id=str(data["id"]),
            cost=common.to_float(data.get("cost")),
            parts=common.to_int(data.get("cnt")) or 1,
        )

    def status(self, number, message_id):
        """Poll one message; None when the gateway cannot be asked now."""
        params = {
            **self._auth(),
            "phone": number,
            "id": message_id,
            "fmt": 3,
            "charset": "utf-8",
        }
        try:
            data = self._request("GET", "/sys/status.php", params)
        except (requests.RequestException, ValueError):
            return None
        if not isinstance(data, dict) or "error" in data:
            return None
        return self.parse_status(data.get("status"), data.get("err"))

    @staticmethod
    def parse_status(status, err=None):
        code = common.to_int(status) if status not in (None, "") else None
        if code is None:
            return None
        if code in DELIVERED:
            return GatewayStatus("delivered")
        if code in PENDING:
            return GatewayStatus("sent")
        error = FAILED.get(code, common.NOT_DELIVERED)
        reason = f"SMSC status {code}" + (
            f", error {err}" if err not in (None, "", 0, "0") else ""
        )
        return GatewayStatus("failed", error=error, reason=reason)
