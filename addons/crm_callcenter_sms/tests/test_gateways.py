import json

import requests
import responses

from odoo.tests import tagged
from odoo.tests.common import freeze_time

from .common import HTTP_SEND, SMSC_SEND, SMSC_STATUS, GatewayMock, SmsGatewayCase, form


@tagged("post_install", "-at_install")
class TestGateways(SmsGatewayCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls.env["res.partner"].create(
            {"name": "Ivan Petrov", "phone": "+79161234567"}
        )

    def send_to_partner(self, body="Ваш код: 4821"):
        """Post an SMS on the partner's chatter, as the SMS composer does."""
        message = self.partner._message_sms(body, partner_ids=self.partner.ids)
        notification = message.notification_ids
        return notification, self.logs(partner_id=self.partner.id)

    def test_smsc_send_records_cost_parts_and_id(self):
        with GatewayMock() as rsps:
            self.smsc_ok(rsps, msg_id=97, cnt=2, cost="4.80")
            notification, log = self.send_to_partner()
        sent = form(rsps.calls[0].request)
        self.assertEqual(
            {k: sent[k] for k in ("login", "psw", "phones", "mes", "sender")},
            {
                "login": "acme",
                "psw": "s3cr3t",
                "phones": "+79161234567",
                "mes": "Ваш код: 4821",
                "sender": "ACME",
            },
        )
        self.assertEqual(
            (sent["fmt"], sent["cost"], sent["charset"]), ("3", "3", "utf-8")
        )
        self.assertEqual(sent["id"], str(log.id), "our log id is SMSC's message id")
        self.assertEqual(len(log), 1)
        self.assertRecordValues(
            log,
            [
                {
                    "state": "sent",
                    "gateway_id": self.smsc.id,
                    "provider_message_id": "97",
                    "cost": 4.80,
                    "parts": 2,
                    "currency_id": self.rub.id,
                    "res_model": "res.partner",
                    "res_id": self.partner.id,
                    "failover_from_gateway_id": False,
                }
            ],
        )
        self.assertTrue(log.sent_date)
        self.assertEqual(notification.notification_status, "pending")

    def test_smsc_api_key_replaces_login(self):
        self.smsc.write({"smsc_api_key": "KEY-1", "smsc_charset": "windows-1251"})
        with GatewayMock() as rsps:
            self.smsc_ok(rsps)
            self.send_to_partner()
        sent = form(rsps.calls[0].request)
        self.assertEqual(sent["apikey"], "KEY-1")
        self.assertNotIn("login", sent)
        self.assertEqual(sent["charset"], "windows-1251")

    def test_smsc_error_codes_map_to_sms_failures_without_failover(self):
        cases = [
            (7, "invalid number", "sms_number_format", "wrong_number_format"),
            (3, "no money", "sms_credit", "insufficient_credit"),
            (2, "authorise error", "sms_acc", "unregistered"),
        ]
        for code, text, notif_failure, log_failure in cases:
            with self.subTest(code=code), GatewayMock() as rsps:
                rsps.add(
                    responses.POST,
                    SMSC_SEND,
                    json={"error": text, "error_code": code},
                )
                message = self.partner._message_sms("Hi", partner_ids=self.partner.ids)
                # One request: a permanent error is not retried elsewhere.
                self.assertEqual(len(rsps.calls), 1)
                log = self.logs(partner_id=self.partner.id)[-1]
                self.assertEqual(log.state, "failed")
                self.assertEqual(log.failure_type, log_failure)
                self.assertIn(text, log.failure_reason)
                notification = message.notification_ids
                self.assertEqual(notification.notification_status, "exception")
                self.assertEqual(notification.failure_type, notif_failure)

    def test_smsc_prohibited_message_bounces(self):
        with GatewayMock() as rsps:
            rsps.add(
                responses.POST,
                SMSC_SEND,
                json={"error": "message is denied", "error_code": 6, "id": 5},
            )
            notification, log = self.send_to_partner()
        self.assertEqual(log.failure_type, "rejected")
        self.assertEqual(notification.notification_status, "bounce")
        self.assertEqual(notification.failure_type, "sms_rejected")

    def test_smsc_timeout_fails_over_to_http_gateway(self):
        with GatewayMock() as rsps:
            rsps.add(responses.POST, SMSC_SEND, body=requests.Timeout("read timeout"))
            self.http_ok(rsps, msg_id="m-1", price="0.07", segments=1)
            notification, log = self.send_to_partner("Hello")
        self.assertEqual(len(rsps.calls), 2)
        payload = json.loads(rsps.calls[1].request.body)
        self.assertEqual(
            payload,
            {
                "messages": [{"to": "+79161234567", "text": "Hello", "from": "ACME"}],
                "client_ref": str(log.id),
            },
        )
        self.assertEqual(
            rsps.calls[1].request.headers["Authorization"], "Bearer tok-123"
        )
        self.assertRecordValues(
            log,
            [
                {
                    "state": "sent",
                    "gateway_id": self.http.id,
                    "failover_from_gateway_id": self.smsc.id,
                    "provider_message_id": "m-1",
                    "cost": 0.07,
                    "currency_id": self.env.ref("base.USD").id,
                }
            ],
        )
        self.assertEqual(notification.notification_status, "pending")

    def test_smsc_rate_limit_code_fails_over(self):
        with GatewayMock() as rsps:
            rsps.add(
                responses.POST,
                SMSC_SEND,
                json={"error": "duplicate request, wait a minute", "error_code": 9},
            )
            self.http_ok(rsps)
            _notification, log = self.send_to_partner()
        self.assertEqual(log.gateway_id, self.http)
        self.assertEqual(log.state, "sent")

    def test_http_server_error_fails_over_to_smsc(self):
        self.use_gateways(self.http, self.smsc)
        with GatewayMock() as rsps:
            rsps.add(
                responses.POST,
                HTTP_SEND,
                json={"error": {"message": "upstream unavailable"}},
                status=503,
            )
            self.smsc_ok(rsps, msg_id=98)
            _notification, log = self.send_to_partner()
        self.assertEqual(log.gateway_id, self.smsc)
        self.assertEqual(log.failover_from_gateway_id, self.http)
        self.assertEqual(log.provider_message_id, "98")

    def test_http_client_error_is_final(self):
        self.use_gateways(self.http, self.smsc)
        with GatewayMock() as rsps:
            rsps.add(
                responses.POST,
                HTTP_SEND,
                json={"error": {"message": "invalid destination number"}},
                status=422,
            )
            notification, log = self.send_to_partner()
        self.assertEqual(len(rsps.calls), 1, "no retry on a permanent error")
        self.assertEqual(log.state, "failed")
        self.assertEqual(log.failure_reason, "invalid destination number")
        self.assertEqual(notification.notification_status, "exception")

    def test_both_gateways_down(self):
        with GatewayMock() as rsps:
            rsps.add(
                responses.POST, SMSC_SEND, body=requests.ConnectionError("refused")
            )
            rsps.add(responses.POST, HTTP_SEND, body=requests.Timeout("slow"))
            notification, log = self.send_to_partner()
        self.assertEqual(log.state, "failed")
        self.assertEqual(log.failure_type, "server_error")
        self.assertEqual(log.gateway_id, self.http, "the last gateway tried")
        self.assertEqual(notification.failure_type, "sms_server")

    def test_no_backup_means_no_retry(self):
        self.use_gateways(self.smsc)
        with GatewayMock() as rsps:
            rsps.add(responses.POST, SMSC_SEND, body=requests.Timeout("slow"))
            _notification, log = self.send_to_partner()
        self.assertEqual(len(rsps.calls), 1)
        self.assertEqual(log.state, "failed")

    def test_queue_cron_sends_with_the_company_gateway(self):
        sms = self.env["sms.sms"].create({"number": "+79161234567", "body": "Queued"})
        with GatewayMock() as rsps:
            self.smsc_ok(rsps, msg_id=101)
            # What the queue cron does, without its commit.
            sms._send(unlink_failed=False, unlink_sent=True, raise_exception=False)
        self.assertEqual(form(rsps.calls[0].request)["mes"], "Queued")
        log = self.logs(sms_uuid=sms.uuid)
        self.assertEqual(log.provider_message_id, "101")

    def test_status_polling_marks_delivered_and_failed(self):
        with GatewayMock() as rsps:
            self.smsc_ok(rsps, msg_id=97)
            _n, delivered = self.send_to_partner()
        with GatewayMock() as rsps:
            self.smsc_ok(rsps, msg_id=98)
            _n, both = self.send_to_partner()
        undeliverable = both - delivered
        (delivered | undeliverable).sent_date = "2026-03-02 08:00:00"
        answers = {
            "97": {
                "status": 1,
                "last_date": "14.05.2024 10:16:20",
                "last_timestamp": 1715670980,
            },
            "98": {"status": 20, "err": 1, "last_timestamp": 1715670980},
        }

        def status(request):
            params = dict(
                p.split("=", 1) for p in request.url.split("?", 1)[1].split("&")
            )
            self.assertEqual(params["login"], "acme")
            return 200, {}, json.dumps(answers[params["id"]])

        with GatewayMock() as rsps:
            rsps.add_callback(responses.GET, SMSC_STATUS, callback=status)
            with freeze_time("2026-03-02 09:00:00"):
                self.env["crm.callcenter.sms.gateway"]._poll_status()
        self.assertEqual(delivered.state, "delivered")
        self.assertEqual(undeliverable.state, "failed")
        self.assertEqual(undeliverable.failure_type, "not_delivered")
        self.assertIn("20", undeliverable.failure_reason)
