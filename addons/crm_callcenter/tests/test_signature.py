from odoo.tests.common import BaseCase

from ..tools import signature
from ..tools.phone import is_hidden_number, normalize_number
from ..tools.providers import PayloadError, get_adapter

# PROTOCOLS.md §11, test vector 11 (Standard Webhooks).
VECTOR_SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
VECTOR_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
VECTOR_TS = "1715670903"
VECTOR_BODY = b'{"type":"sms.delivered","data":{"id":"42","status":"delivered"}}'
VECTOR_SIG = "v1,IoGOlTqWFA/8d3pXzdiAXnlqoctUuAbW9hq2UQT9UZs="


class TestStandardWebhooks(BaseCase):
    def test_vector_11(self):
        self.assertEqual(
            signature.sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TS, VECTOR_BODY), VECTOR_SIG
        )
        self.assertTrue(
            signature.verify(
                VECTOR_SECRET,
                VECTOR_ID,
                VECTOR_TS,
                VECTOR_SIG,
                VECTOR_BODY,
                now=int(VECTOR_TS) + 10,
            )
        )

    def test_any_listed_signature_may_match(self):
        header = "v1,bm90LXRoaXMtb25l " + VECTOR_SIG
        self.assertTrue(
            signature.verify(
                VECTOR_SECRET,
                VECTOR_ID,
                VECTOR_TS,
                header,
                VECTOR_BODY,
                now=int(VECTOR_TS),
            )
        )

    def test_refusals(self):
        now = int(VECTOR_TS)
        other_secret = signature.generate_secret()
        cases = {
            "wrong secret": (
                other_secret,
                VECTOR_ID,
                VECTOR_TS,
                VECTOR_SIG,
                VECTOR_BODY,
                now,
            ),
            "body changed": (
                VECTOR_SECRET,
                VECTOR_ID,
                VECTOR_TS,
                VECTOR_SIG,
                VECTOR_BODY + b" ",
                now,
            ),
            "id changed": (
                VECTOR_SECRET,
                "msg_other",
                VECTOR_TS,
                VECTOR_SIG,
                VECTOR_BODY,
                now,
            ),
            "replayed late": (
                VECTOR_SECRET,
                VECTOR_ID,
                VECTOR_TS,
                VECTOR_SIG,
                VECTOR_BODY,
                now + 301,
            ),
            "from the future": (
                VECTOR_SECRET,
                VECTOR_ID,
                VECTOR_TS,
                VECTOR_SIG,
                VECTOR_BODY,
                now - 301,
            ),
            "no signature": (VECTOR_SECRET, VECTOR_ID, VECTOR_TS, "", VECTOR_BODY, now),
            "bad timestamp": (
                VECTOR_SECRET,
                VECTOR_ID,
                "soon",
                VECTOR_SIG,
                VECTOR_BODY,
                now,
            ),
            "no secret": (False, VECTOR_ID, VECTOR_TS, VECTOR_SIG, VECTOR_BODY, now),
        }
        for label, args in cases.items():
            with self.subTest(label), self.assertRaises(signature.SignatureError):
                signature.verify(*args)

    def test_generated_secrets_are_distinct_and_usable(self):
        first, second = signature.generate_secret(), signature.generate_secret()
        self.assertNotEqual(first, second)
        sig = signature.sign(first, "m1", "100", b"{}")
        self.assertTrue(signature.verify(first, "m1", "100", sig, b"{}", now=100))


class TestGenericParse(BaseCase):
    def setUp(self):
        super().setUp()
        self.adapter = get_adapter("generic")

    def test_times_are_utc(self):
        body = (
            b'{"type": "call.answered", "timestamp": "2026-03-02T16:00:12+07:00",'
            b' "data": {"call_id": "c1", "direction": "inbound", "from": "0901",'
            b' "to": "1900", "agent": 101, "started_at": "2026-03-02T09:00:00Z"}}'
        )
        (event,) = self.adapter.parse(body, {"webhook-id": "m1"})
        self.assertEqual(event.state, "answered")
        self.assertEqual(str(event.answered_at), "2026-03-02 09:00:12")
        self.assertEqual(str(event.started_at), "2026-03-02 09:00:00")
        self.assertEqual(event.agent_extension, "101")
        self.assertEqual(event.dedup_key, "m1")

    def test_bad_payloads(self):
        base = (
            '"data": {"call_id": "c1", "direction": "inbound", "from": "1", "to": "2"'
        )
        cases = {
            "not json": b"call ringing",
            "not an object": b"[1, 2]",
            "unknown type": b'{"type": "call.exploded", ' + base.encode() + b"}}",
            "no call id": b'{"type": "call.ringing", "data": {"direction": "inbound", "from": "1", "to": "2"}}',
            "bad direction": b'{"type": "call.ringing", "data": {"call_id": "c", "direction": "sideways", "from": "1", "to": "2"}}',
            "no from": b'{"type": "call.ringing", "data": {"call_id": "c", "direction": "inbound", "to": "2"}}',
            "bad outcome": b'{"type": "call.ended", '
            + base.encode()
            + b', "outcome": "great"}}',
            "naive time": b'{"type": "call.ended", '
            + base.encode()
            + b', "ended_at": "2026-03-02T09:00:00"}}',
            "negative duration": b'{"type": "call.ended", '
            + base.encode()
            + b', "duration": -3}}',
            "data not object": b'{"type": "call.ended", "data": "x"}',
        }
        for label, body in cases.items():
            with self.subTest(label), self.assertRaises(PayloadError):
                self.adapter.parse(body, {"webhook-id": "m"})


class TestNormalizeNumber(BaseCase):
    def test_formats(self):
        cases = [
            ("+84903555111", "VN", "+84903555111"),
            ("84903555111", "VN", "+84903555111"),
            ("0903555111", "VN", "+84903555111"),
            ("00 84 90 355 5111", "VN", "+84903555111"),
            ("8 (912) 345-67-89", "RU", "+79123456789"),
            ("+7 912 345 67 89", "VN", "+79123456789"),
            ("0532 123 45 67", "TR", "+905321234567"),
            ("anonymous", "VN", "anonymous"),
            ("", "VN", ""),
        ]
        for raw, country, expected in cases:
            with self.subTest(raw=raw):
                self.assertEqual(normalize_number(raw, country), expected)

    def test_hidden_numbers(self):
        hidden = [
            "anonymous",
            "Anonymous",
            " Restricted ",
            "unavailable",
            "sip:anonymous@anonymous.invalid",
            "+",
            "0",
            "0000000000",
            "+266696687",  # Twilio: ANONYMOUS on a keypad
            "+7378742833",  # RESTRICTED
            "+86282452253",  # UNAVAILABLE
        ]
        shown = [
            "",
            None,
            "0903555111",
            "+84903555111",
            "101",
            # Without the plus, a national number that happens to be these
            # digits: only Twilio's E.164 stand-ins are hidden.
            "266696687",
        ]
        for number in hidden:
            with self.subTest(number=number):
                self.assertTrue(is_hidden_number(number))
        for number in shown:
            with self.subTest(number=number):
                self.assertFalse(is_hidden_number(number))

    def test_dialout_prefix(self):
        cases = [
            ("9 0903555111", "+84903555111"),
            ("9 00 7 912 345 67 89", "+79123456789"),
            ("+84903555111", "+84903555111"),  # international: never stripped
            ("0903555111", "+84903555111"),  # no prefix sent
        ]
        for raw, expected in cases:
            with self.subTest(raw=raw):
                self.assertEqual(normalize_number(raw, "VN", "9"), expected)
