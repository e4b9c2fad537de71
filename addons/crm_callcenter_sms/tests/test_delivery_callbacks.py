import json
import time

from odoo.addons.crm_callcenter.tools import signature
from odoo.tests import HttpCase, tagged

from .common import HTTP_SECRET, GatewayMock, SmsGatewayMixin


@tagged("post_install", "-at_install")
class TestDeliveryCallbacks(SmsGatewayMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create(
            {"name": "Ivan Petrov", "phone": "+79161234567"}
        )

    def send(self, primary):
        self.use_gateways(primary)
        with GatewayMock() as rsps:
            if primary == self.smsc:
                self.smsc_ok(rsps, msg_id=97)
            else:
                self.http_ok(rsps, msg_id="42")
            message = self.partner._message_sms("Hi", partner_ids=self.partner.ids)
        return message.notification_ids, self.logs(partner_id=self.partner.id)

    def post_smsc(self, token, **data):
        return self.url_open(f"/crm_callcenter_sms/smsc/{token}", data=data, timeout=30)

    def post_http(self, token, payload, secret=HTTP_SECRET, msg_id="msg_1"):
        body = json.dumps(payload).encode()
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": ts,
            "webhook-signature": signature.sign(secret, msg_id, ts, body),
        }
        return self.url_open(
            f"/crm_callcenter_sms/webhook/{token}",
            data=body,
            headers=headers,
            timeout=30,
        )

    def test_smsc_delivery_report(self):
        notification, log = self.send(self.smsc)
        response = self.post_smsc(
            self.smsc.callback_token, id="97", phone="79161234567", status="1"
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(log.state, "delivered")
        self.assertTrue(log.delivered_date)
        self.assertEqual(notification.notification_status, "sent")

    def test_smsc_failure_report_with_configured_field_names(self):
        self.smsc.write(
            {
                "smsc_cb_id_field": "sms_id",
                "smsc_cb_status_field": "st",
                "smsc_cb_error_field": "e",
            }
        )
        notification, log = self.send(self.smsc)
        response = self.post_smsc(self.smsc.callback_token, sms_id="97", st="22", e="1")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(log.state, "failed")
        self.assertEqual(log.failure_type, "invalid_destination")
        self.assertEqual(notification.notification_status, "bounce")

    def test_smsc_unknown_token_or_message_changes_nothing(self):
        notification, log = self.send(self.smsc)
        response = self.post_smsc("not-a-token", id="97", status="1")
        self.assertEqual(response.status_code, 404)
        # The HTTP gateway's token does not open the SMSC route.
        response = self.post_smsc(self.http.callback_token, id="97", status="1")
        self.assertEqual(response.status_code, 404)
        response = self.post_smsc(self.smsc.callback_token, id="12345", status="1")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["error"], "unknown message")
        # A NUL, which PostgreSQL cannot even compare, in the token or the id.
        response = self.post_smsc("a%00b", id="97", status="1")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["error"], "unknown gateway")
        response = self.post_smsc(self.smsc.callback_token, id="9\x007", status="1")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["error"], "unknown message")
        response = self.post_smsc(self.smsc.callback_token, id="97")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(log.state, "sent")
        self.assertEqual(notification.notification_status, "pending")

    def test_http_signed_delivery_report(self):
        notification, log = self.send(self.http)
        response = self.post_http(
            self.http.callback_token,
            {
                "type": "sms.delivered",
                "timestamp": "2024-05-14T07:16:20Z",
                "data": {"id": "42", "to": "+79161234567", "status": "delivered"},
            },
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(log.state, "delivered")
        self.assertEqual(notification.notification_status, "sent")

    def test_http_failed_report_keeps_the_reason(self):
        notification, log = self.send(self.http)
        response = self.post_http(
            self.http.callback_token,
            {
                "type": "sms.failed",
                "data": {"id": "42", "error": "handset unreachable"},
            },
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(log.state, "failed")
        self.assertEqual(log.failure_reason, "handset unreachable")
        self.assertEqual(notification.notification_status, "exception")
        self.assertEqual(notification.failure_reason, "handset unreachable")

    def test_nul_characters_are_stored_replaced(self):
        """JSON can carry "\\u0000", which PostgreSQL cannot store: the
        gateway's message id and words keep U+FFFD in its place, and its
        report still finds the message."""
        self.use_gateways(self.http)
        with GatewayMock() as rsps:
            self.http_ok(rsps, msg_id="4\x002")
            self.partner._message_sms("Hi", partner_ids=self.partner.ids)
        log = self.logs(partner_id=self.partner.id)
        self.assertEqual((log.state, log.provider_message_id), ("sent", "4\ufffd2"))
        response = self.post_http(
            self.http.callback_token,
            {"type": "sms.failed", "data": {"id": "4\x002", "error": "off\x00line"}},
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual((log.state, log.failure_reason), ("failed", "off\ufffdline"))

    def test_http_bad_signature_or_unknown_changes_nothing(self):
        notification, log = self.send(self.http)
        delivered = {
            "type": "sms.delivered",
            "data": {"id": "42", "status": "delivered"},
        }
        wrong = signature.generate_secret()
        response = self.post_http(self.http.callback_token, delivered, secret=wrong)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["error"], "invalid signature")
        unsigned = self.url_open(
            f"/crm_callcenter_sms/webhook/{self.http.callback_token}",
            data=json.dumps(delivered).encode(),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        self.assertEqual(unsigned.status_code, 401)
        response = self.post_http("nope", delivered)
        self.assertEqual(response.status_code, 404)
        other = {"type": "sms.delivered", "data": {"id": "999", "status": "delivered"}}
        response = self.post_http(self.http.callback_token, other)
        self.assertEqual(response.status_code, 404)
        response = self.post_http(self.http.callback_token, {"type": "sms.delivered"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(log.state, "sent")
        self.assertEqual(notification.notification_status, "pending")

    def test_settings_show_the_url_to_paste(self):
        self.assertEqual(
            self.http.callback_url,
            f"{self.http.get_base_url()}/crm_callcenter_sms/webhook/{self.http.callback_token}",
        )
        self.assertIn("/crm_callcenter_sms/smsc/", self.smsc.callback_url)
