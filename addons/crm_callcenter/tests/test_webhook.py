import json
import time
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from ..models.crm_callcenter_call import CrmCallcenterCall
from .common import CallcenterCase


@tagged("post_install", "-at_install")
class TestWebhook(HttpCase, CallcenterCase):
    def post(self, signed, token=None):
        body, headers = signed
        token = token or self.provider.webhook_token
        return self.url_open(
            f"/callcenter/webhook/{token}", data=body, headers=headers, timeout=30
        )

    def counts(self):
        return (
            self.env["crm.callcenter.event"].search_count([]),
            self.env["crm.callcenter.call"].search_count([]),
        )

    def assertRejected(self, response, status, reason_part):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.json()["status"], "error")
        self.assertIn(reason_part, response.json()["error"])

    def test_signed_sequence_creates_one_linked_call(self):
        for signed in self.center.answered_call("http-1"):
            response = self.post(signed)
            self.assertEqual(response.status_code, 200, response.text)
            self.assertEqual(response.json(), {"status": "ok"})
        self.assertCallLogged(
            "http-1",
            state="ended",
            outcome="answered",
            partner_id=self.partner,
            user_id=self.agent,
            duration=92,
            billsec=80,
        )

    def test_duplicate_delivery_answers_ok_and_changes_nothing(self):
        ringing = self.center.event("call.ringing", "http-dup", agent="101")
        self.assertEqual(self.post(ringing).status_code, 200)
        before = self.counts()
        call = self.get_call("http-dup")
        write_date = call.write_date
        response = self.post(ringing)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok"})
        self.assertEqual(self.counts(), before)
        call.invalidate_recordset()
        self.assertEqual(call.write_date, write_date)

    def test_rejections_store_nothing(self):
        before = self.counts()
        good_body, good_headers = self.center.event("call.ringing", "http-bad")
        cases = []
        # Unknown and inactive tokens.
        cases.append(
            (404, "unknown webhook", self.post((good_body, good_headers), "nope"))
        )
        inactive = self.provider.copy({"name": "Inactive", "active": False})
        cases.append(
            (
                404,
                "unknown webhook",
                self.post((good_body, good_headers), inactive.webhook_token),
            )
        )
        # A NUL in the token (PostgreSQL cannot even compare it).
        cases.append(
            (404, "unknown webhook", self.post((good_body, good_headers), "a%00b"))
        )
        cases.append(
            (
                404,
                "unknown webhook",
                self.post((good_body, good_headers), "a%00b/suffix"),
            )
        )
        # Too large.
        big = json.dumps({"type": "call.ringing", "pad": "x" * (256 * 1024)}).encode()
        cases.append((413, "too large", self.post(self.center.sign(big, "msg-big"))))
        # Wrong secret, missing signature, tampered body, stale timestamp.
        wrong = self.center.sign(
            good_body,
            "msg-wrong",
            secret="whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC0xMjM0",
        )
        cases.append((401, "invalid signature", self.post(wrong)))
        unsigned = dict(good_headers)
        del unsigned["webhook-signature"]
        cases.append((401, "invalid signature", self.post((good_body, unsigned))))
        cases.append(
            (401, "invalid signature", self.post((good_body + b" ", good_headers)))
        )
        stale = self.center.sign(
            good_body, "msg-stale", timestamp=int(time.time()) - 301
        )
        cases.append((401, "invalid signature", self.post(stale)))
        # Authentic but unreadable.
        cases.append(
            (400, "JSON", self.post(self.center.sign(b"{not json", "msg-json")))
        )
        missing = json.dumps(
            {
                "type": "call.ringing",
                "data": {"direction": "inbound", "from": "1", "to": "2"},
            }
        ).encode()
        cases.append(
            (400, "call_id", self.post(self.center.sign(missing, "msg-missing")))
        )
        # A JSON object where the event type belongs: a 400, not a crash.
        odd_type = json.dumps({"type": {"call.ringing": 1}, "data": {}}).encode()
        cases.append(
            (400, "type must be", self.post(self.center.sign(odd_type, "msg-type")))
        )
        # More than the columns hold.
        too_long = self.center.event("call.ended", "http-long", duration=2**31)
        cases.append((400, "duration out of range", self.post(too_long)))
        for status, reason, response in cases:
            with self.subTest(status=status, reason=reason):
                self.assertRejected(response, status, reason)
        self.assertEqual(self.counts(), before, "a rejected request stores nothing")
        self.provider.invalidate_recordset(["rejected_count"])
        self.assertEqual(self.provider.rejected_count, 4)

    def test_nul_characters_are_stored_replaced(self):
        """JSON can carry "\\u0000", which PostgreSQL cannot store: it becomes
        U+FFFD, in the event, its key and its call, instead of an event
        failing at each retry (or a 500 when it was in the call id)."""
        ringing = self.center.event(
            "call.ringing",
            "http\x00nul",
            msg_id="msg\x00nul",
            agent="10\x001",
            queue="sales\x00",
        )
        response = self.post(ringing)
        self.assertEqual(response.status_code, 200, response.text)
        event = self.env["crm.callcenter.event"].search(
            [("dedup_key", "=", "msg\ufffdnul")]
        )
        self.assertEqual(event.state, "done", event.error)
        call = self.get_call("http\ufffdnul")
        self.assertEqual(event.call_id, call)
        self.assertEqual(call.queue, "sales\ufffd")
        # The same delivery again is known by its key.
        before = self.counts()
        self.assertEqual(self.post(ringing).status_code, 200)
        self.assertEqual(self.counts(), before)

    def test_get_is_not_accepted(self):
        before = self.counts()
        response = self.url_open(f"/callcenter/webhook/{self.provider.webhook_token}")
        self.assertEqual(response.status_code, 405)
        self.assertEqual(self.counts(), before)

    def test_processing_failure_still_answers_ok_and_keeps_the_event(self):
        def broken(self):
            raise RuntimeError("matching backend down")

        with patch.object(CrmCallcenterCall, "_match_counterpart", broken):
            response = self.post(self.center.event("call.ringing", "http-fail"))
        self.assertEqual(response.status_code, 200)
        event = self.env["crm.callcenter.event"].search(
            [("external_call_id", "=", "http-fail")]
        )
        self.assertEqual(event.state, "error")
        self.assertIn("matching backend down", event.error)
        self.assertFalse(self.get_call("http-fail"))
