import itertools
import time
from urllib.parse import urlencode

from odoo.tests import HttpCase, TransactionCase, tagged

from ..tools import signature
from ..tools.rate_limit import TokenBucketLimiter
from .common import SECRET, CallcenterCase

_ids = itertools.count(1)


class LookupCase(CallcenterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A lead (no contact yet) of Agent A, who has extension 101.
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Office chairs for 20 desks",
                "contact_name": "Trần Văn Lead",
                "phone": "0903 555 222",
                "country_id": cls.vn.id,
                "user_id": cls.agent.id,
            }
        )
        # The contact of the common fixtures (0903 555 111) is Agent B's.
        cls.partner.user_id = cls.agent_b


@tagged("post_install", "-at_install")
class TestCallerLookup(HttpCase, LookupCase):
    def lookup(self, number=None, *, token=None, query=None, secret=SECRET, sign=True):
        """GET the lookup URL, signed like the generic format: Standard
        Webhooks over the path and query as sent."""
        token = token or self.provider.webhook_token
        if query is None:
            query = urlencode({"number": number}) if number is not None else ""
        target = f"/callcenter/lookup/{token}" + (f"?{query}" if query else "")
        headers = {}
        if sign:
            msg_id = f"msg_lookup_{next(_ids)}"
            stamp = str(int(time.time()))
            headers = {
                "webhook-id": msg_id,
                "webhook-timestamp": stamp,
                "webhook-signature": signature.sign(
                    secret, msg_id, stamp, target.encode()
                ),
            }
        return self.url_open(target, headers=headers)

    def assertAnswer(self, response, expected):
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json(), expected)

    def test_lead_of_a_salesperson_with_an_extension(self):
        self.agent.with_user(self.agent).callcenter_set_presence("available")
        expected = {
            "found": True,
            "name": "Trần Văn Lead",
            "agent_extension": "101",
            "agent": "Agent A",
            "agent_presence": "available",
            "priority": 0,
            "vip": False,
            "lead_id": self.lead.id,
            "partner_id": None,
        }
        # National, international and PBX-style numbers all find the lead.
        for number in ("0903555222", "+84903555222", "84 903 555 222"):
            self.assertAnswer(self.lookup(number), expected)
        # On a call now: the PBX routes the caller the usual way.
        self.feed(self.center.answered_call("lookup-busy")[:2])
        self.assertEqual(self.lookup("0903555222").json()["agent_presence"], "in_call")

    def test_contact_only(self):
        self.assertAnswer(
            self.lookup("0903 555 111"),
            {
                "found": True,
                "name": "Nguyễn Thị Test",
                "agent_extension": "102",
                "agent": "Agent B",
                "agent_presence": "offline",
                "priority": 0,
                "vip": False,
                "lead_id": None,
                "partner_id": self.partner.id,
            },
        )

    def test_lead_without_salesperson_routes_to_the_contacts(self):
        company = self.env["res.partner"].create(
            {"name": "Công ty Ánh Dương", "is_company": True}
        )
        self.partner.parent_id = company
        # The lead takes its contact's number.
        self.lead.write({"user_id": False, "partner_id": self.partner.id})
        self.assertAnswer(
            self.lookup("0903555111"),
            {
                "found": True,
                "name": "Công ty Ánh Dương, Nguyễn Thị Test",
                "agent_extension": "102",
                "agent": "Agent B",
                "agent_presence": "offline",
                "priority": 0,
                "vip": False,
                "lead_id": self.lead.id,
                "partner_id": self.partner.id,
            },
        )

    def test_salesperson_without_extension_on_this_provider(self):
        other = self.provider.copy({"name": "Other Center"})
        self.env["crm.callcenter.extension"].create(
            {"name": "555", "provider_id": other.id, "user_id": self.manager.id}
        )
        self.lead.user_id = self.manager
        answer = self.lookup("0903555222").json()
        self.assertEqual(
            (answer["agent"], answer["agent_extension"]),
            ("Call Center Manager", None),
        )
        # An extension for every provider applies.
        self.env["crm.callcenter.extension"].create(
            {"name": "200", "user_id": self.manager.id}
        )
        self.assertEqual(self.lookup("0903555222").json()["agent_extension"], "200")

    def test_priority_and_vip_for_the_pbx_queue(self):
        """The lead's stars and the company's VIP tags tell the PBX whom to
        queue first."""
        self.lead.priority = "2"
        self.env.company.callcenter_vip_tag_ids = False
        answer = self.lookup("0903555222").json()
        self.assertEqual((answer["priority"], answer["vip"]), (2, False))

        tag = self.env["res.partner.category"].create({"name": "VIP"})
        self.partner.category_id = tag
        answer = self.lookup("0903555111").json()
        self.assertEqual(answer["partner_id"], self.partner.id)
        self.assertEqual(
            (answer["priority"], answer["vip"]), (0, False), "no VIP tags: nobody is"
        )
        self.env.company.callcenter_vip_tag_ids = tag
        answer = self.lookup("0903555111").json()
        self.assertEqual((answer["priority"], answer["vip"]), (0, True))

        # A lead counts with its contact's tags and its own stars.
        self.lead.write({"partner_id": self.partner.id, "priority": "3"})
        answer = self.lookup(self.lead.phone).json()
        self.assertEqual(answer["lead_id"], self.lead.id)
        self.assertEqual((answer["priority"], answer["vip"]), (3, True))

    def test_unknown_number_says_only_not_found(self):
        response = self.lookup("0909 000 999")
        self.assertAnswer(response, {"found": False})
        self.assertEqual(response.text, '{"found": false}')

    def test_other_companys_customers_are_not_found(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        self.lead.write({"company_id": other_company.id, "user_id": False})
        self.assertAnswer(self.lookup("0903555222"), {"found": False})

    def test_unknown_or_missing_token_is_404(self):
        response = self.lookup("0903555222", token="not-a-token")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["error"], "unknown lookup URL")
        response = self.url_open("/callcenter/lookup/?number=0903555222")
        self.assertEqual(response.status_code, 404)
        # (No token has a NUL, which PostgreSQL cannot even compare.)
        response = self.lookup("0903555222", token="a%00b")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["error"], "unknown lookup URL")
        archived = self.provider.copy({"name": "Archived", "active": False})
        response = self.lookup("0903555222", token=archived.webhook_token)
        self.assertEqual(response.status_code, 404)

    def test_bad_or_missing_signature_is_401(self):
        wrong = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
        for response in (
            self.lookup("0903555222", secret=wrong),
            self.lookup("0903555222", sign=False),
        ):
            self.assertEqual(response.status_code, 401, response.text)
            self.assertEqual(response.json()["error"], "invalid signature")
            self.assertNotIn("found", response.json())

    def test_signature_covers_the_query(self):
        """A signature of one number does not look up another."""
        token = self.provider.webhook_token
        msg_id, stamp = "msg_lookup_q", str(int(time.time()))
        signed_target = f"/callcenter/lookup/{token}?number=0909000999"
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": stamp,
            "webhook-signature": signature.sign(
                SECRET, msg_id, stamp, signed_target.encode()
            ),
        }
        response = self.url_open(
            f"/callcenter/lookup/{token}?number=0903555222", headers=headers
        )
        self.assertEqual(response.status_code, 401)
        response = self.url_open(signed_target, headers=headers)
        self.assertAnswer(response, {"found": False})

    def test_hidden_caller_is_nobody(self):
        # What PBXs send for a withheld caller ID: routed like a stranger.
        for number in ("anonymous", "Restricted", "0000000000", "+266696687"):
            with self.subTest(number=number):
                self.assertAnswer(self.lookup(number), {"found": False})

    def test_bad_number_is_400(self):
        for query in ("", "number=", "number=12", "number=12abc", "number=" + "9" * 40):
            response = self.lookup(query=query)
            self.assertEqual(response.status_code, 400, query)
            self.assertEqual(response.json()["status"], "error")

    def test_rate_limit_per_provider_and_client(self):
        limited = self.provider.copy(
            {
                "name": "Limited",
                "lookup_rate": 1,
                "lookup_burst": 2,
                "webhook_secret": SECRET,
            }
        )
        token = limited.webhook_token
        answers = [self.lookup("0903555222", token=token) for _i in range(3)]
        self.assertEqual([r.status_code for r in answers], [200, 200, 429])
        retry_after = int(answers[2].headers["Retry-After"])
        self.assertTrue(1 <= retry_after <= 60, retry_after)
        self.assertEqual(answers[2].json()["error"], "too many requests")
        # Refused requests take tokens too: no guessing the secret meanwhile.
        self.assertEqual(
            self.lookup("0903555222", token=token, sign=False).status_code, 429
        )
        # Another provider's bucket is untouched.
        self.assertEqual(self.lookup("0903555222").status_code, 200)


@tagged("post_install", "-at_install")
class TestCallerLookupQueries(LookupCase):
    def test_known_number_takes_two_queries(self):
        """One indexed query matches the number, one reads the answer."""
        provider = self.provider
        provider.company_id  # noqa: B018 (the route loads it with the token)
        self.env.invalidate_all()
        provider.company_id  # noqa: B018
        # The company's VIP tags are cached (ormcache) after the first call.
        self.env["res.company"]._callcenter_vip_tags(provider.company_id.id)
        with self.assertQueryCount(2):
            answer = provider._lookup_caller("+84903555222")
        self.assertEqual(answer["lead_id"], self.lead.id)
        self.assertEqual(answer["agent_extension"], "101")

    def test_archived_salesperson_is_not_an_agent(self):
        self.agent.active = False
        answer = self.provider._lookup_caller("+84903555222")
        self.assertEqual(
            (answer["found"], answer["agent"], answer["agent_extension"]),
            (True, None, None),
        )


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@tagged("post_install", "-at_install")
class TestTokenBucket(TransactionCase):
    def test_burst_then_refill_at_the_rate(self):
        clock = FakeClock()
        limiter = TokenBucketLimiter(clock=clock)
        key = ("db", 1, "10.0.0.1")
        # 6 per minute = one token every 10 s, 3 at once.
        self.assertEqual([limiter.take(key, 6, 3) for _i in range(3)], [0, 0, 0])
        self.assertEqual(limiter.take(key, 6, 3), 10)
        clock.now += 4
        self.assertEqual(limiter.take(key, 6, 3), 6, "refused requests wait on")
        clock.now += 6
        self.assertEqual(limiter.take(key, 6, 3), 0)
        self.assertEqual(limiter.take(key, 6, 3), 10)
        # Another client address has its own bucket.
        self.assertEqual(limiter.take(("db", 1, "10.0.0.2"), 6, 3), 0)
        # A long pause refills up to the burst only.
        clock.now += 3600
        self.assertEqual([limiter.take(key, 6, 3) for _i in range(4)], [0, 0, 0, 10])

    def test_forgets_the_least_recently_used_clients(self):
        clock = FakeClock()
        limiter = TokenBucketLimiter(max_keys=2, clock=clock)
        self.assertEqual(limiter.take("a", 1, 1), 0)
        self.assertEqual(limiter.take("a", 1, 1), 60)
        limiter.take("b", 1, 1)
        limiter.take("c", 1, 1)  # "a" is forgotten: a full bucket again
        self.assertEqual(limiter.take("a", 1, 1), 0)
