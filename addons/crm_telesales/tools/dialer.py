"""Push telesales targets to a contact center's own dialer.

Only the generic provider documents a task API (our own JSON format, signed
like its webhooks and click-to-call). PROTOCOLS.md documents no task or
call-list upload for the other providers: Mango's ``task_id`` and Bitrix's
``CALL_LIST_ID`` only appear in their events (readme/CONFIGURE.md).

Generic dialer request: Odoo POSTs one batch to the provider's Dialer URL,
signed with Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``) and the provider's signing secret::

    {
      "campaign": {"ref": "odoo-telesales-7", "name": "Spring promo"},
      "tasks": [
        {
          "task_id": "odoo-telesales-7:45",   # unique, idempotency key
          "number": "+84903555111",            # E.164
          "name": "Nguyễn Văn A",
          "priority": 10,                      # higher first
          "not_before": "2026-03-02T09:00:00+00:00",   # or null
          "agent": "101",                      # preferred extension, or null
          "data": {"application": "A-1001"}    # the target's payload
        }
      ]
    }

The center answers 2xx with what it took::

    {"accepted": ["odoo-telesales-7:45"],
     "rejected": [{"task_id": "odoo-telesales-7:46", "error": "invalid number"}]}

A 2xx answer without both lists accepts the whole batch; tasks a 2xx answer
lists in neither are sent again later. A task is one attempt: the center
dials it once and reports the call through the webhook with
``data.campaign`` set to the task's ``task_id``; Odoo plans the retries and
sends the target again when it is due.
"""

import hashlib
import json
import time

import requests

from odoo.addons.crm_callcenter.tools import signature
from odoo.addons.crm_callcenter.tools.storable import without_nul

# Transient failures: the batch is sent again later.
RETRY_STATUSES = {408, 425, 429}
MAX_ERROR_TEXT = 300


class DialerError(Exception):
    """The batch was not delivered. ``retry``: worth sending again later."""

    def __init__(self, message, retry=True):
        super().__init__(message)
        self.retry = retry


def _list(value):
    """A list of the center's answer; anything else reads as none."""
    return value if isinstance(value, list) else []


def _short(text):
    """The center's words, storable (NUL replaced) and short."""
    text = " ".join(without_nul(str(text)).split())
    if len(text) > MAX_ERROR_TEXT:
        text = text[: MAX_ERROR_TEXT - 1] + "…"
    return text


class GenericDialer:
    code = "generic"

    def push(self, config, campaign, tasks):
        """Send ``tasks`` (dicts of the format above) of ``campaign`` (a dict
        with ``ref`` and ``name``).

        Return ``(accepted, rejected)``: a set of task ids and a dict task id
        → reason. Raise :class:`DialerError` when the batch was not taken.
        """
        url = config.get("dialer_url")
        if not url:
            raise DialerError("the provider has no dialer URL", retry=False)
        body = json.dumps({"campaign": campaign, "tasks": tasks}).encode()
        # The same batch resent after a timeout keeps its message id: the
        # center can drop it (and the task ids are idempotent anyway).
        digest = hashlib.sha256(
            "\n".join(task["task_id"] for task in tasks).encode()
        ).hexdigest()[:16]
        msg_id = f"msg_tasks_{digest}"
        stamp = str(int(time.time()))
        try:
            signed = signature.sign(config.get("webhook_secret"), msg_id, stamp, body)
        except signature.SignatureError as exc:
            raise DialerError(str(exc), retry=False) from exc
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": stamp,
            "webhook-signature": signed,
        }
        timeout = config["timeout"]
        try:
            response = self._post(url, body, headers, timeout)
        except requests.Timeout as exc:
            raise DialerError(f"no answer within {timeout} s") from exc
        except requests.RequestException as exc:
            raise DialerError("the contact center could not be reached") from exc
        status = response.status_code
        if not 200 <= status < 300:
            reason = self._center_error(response) or f"HTTP {status}"
            if status >= 500 or status in RETRY_STATUSES:
                raise DialerError(f"HTTP {status}: {reason}")
            raise DialerError(f"HTTP {status}: {reason}", retry=False)
        return self._parse_answer(response, tasks)

    def _parse_answer(self, response, tasks):
        sent = {task["task_id"] for task in tasks}
        try:
            answer = response.json() if response.content else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or (
            "accepted" not in answer and "rejected" not in answer
        ):
            return sent, {}
        accepted = {
            task_id
            for task_id in _list(answer.get("accepted"))
            if isinstance(task_id, str) and task_id in sent
        }
        rejected = {}
        for item in _list(answer.get("rejected")):
            task_id = item.get("task_id") if isinstance(item, dict) else None
            if isinstance(task_id, str) and task_id in sent:
                reason = item.get("error") or item.get("reason") or "rejected"
                rejected[item["task_id"]] = _short(reason)
            elif isinstance(item, str) and item in sent:
                rejected[item] = "rejected"
        return accepted - rejected.keys(), rejected

    @staticmethod
    def _center_error(response):
        try:
            answer = response.json()
        except ValueError:
            return None
        error = answer.get("error") if isinstance(answer, dict) else None
        return _short(error) if isinstance(error, str) and error.strip() else None

    def _post(self, url, body, headers, timeout):
        """The one outbound HTTP request of this client."""
        return requests.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        )


DIALERS = {dialer.code: dialer() for dialer in (GenericDialer,)}
