import json

from odoo.tests import HttpCase, new_test_user, tagged

from .intake_common import CUSTOMER, TelesalesIntakeCase


@tagged("post_install", "-at_install")
class TestTaskApi(HttpCase, TelesalesIntakeCase):
    """The task API through real HTTP with real Odoo API keys."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager_key = cls.api_key(cls.manager)
        cls.agent_key = cls.api_key(cls.agent)
        cls.outsider = new_test_user(
            cls.env,
            login="ts_outsider",
            groups="crm_callcenter.crm_callcenter_group_agent",
        )
        cls.outsider_key = cls.api_key(cls.outsider)

    @classmethod
    def api_key(cls, user):
        return (
            cls.env["res.users.apikeys"]
            .with_user(user)
            .sudo()
            ._generate(None, f"portal of {user.login}", None)
        )

    def url(self, campaign_id=None, ref=None):
        url = f"/telesales/api/v1/campaigns/{campaign_id or self.campaign.id}/targets"
        return f"{url}/{ref}" if ref else url

    def post(self, items, key=None, campaign_id=None, raw=None):
        headers = {"Content-Type": "application/json"}
        if key is not False:
            headers["Authorization"] = f"Bearer {key or self.manager_key}"
        body = raw if raw is not None else json.dumps(items)
        return self.url_open(
            self.url(campaign_id), data=body, headers=headers, timeout=30
        )

    def get(self, ref, key=None, campaign_id=None):
        return self.url_open(
            self.url(campaign_id, ref),
            headers={"Authorization": f"Bearer {key or self.manager_key}"},
            timeout=30,
        )

    def assertError(self, response, status, reason_part=None):
        self.assertEqual(response.status_code, status, response.text)
        if reason_part:
            self.assertEqual(response.json()["status"], "error")
            self.assertIn(reason_part, response.json()["error"])

    def loan_application(self, ref, number="0987 111 222", **extra):
        return {
            "number": number,
            "name": "Ayşe Yılmaz",
            "email": "ayse@example.com",
            "external_ref": ref,
            "payload": {
                "application": ref,
                "applied_on": "2026-11-20",
                "address": "Kadıköy, İstanbul",
            },
            **extra,
        }

    # ------------------------------------------------------------------

    def test_post_creates_targets_with_their_data_and_contacts(self):
        response = self.post(
            [
                self.loan_application(
                    "A-1001", priority=5, not_before="2026-12-01T09:00:00+03:00"
                ),
                # The known customer's number, written another way.
                {"number": "+84 903 555 111", "external_ref": "A-1002"},
                {"number": "0912 000 333", "agent": "ts_agent_a"},
            ]
        )
        self.assertEqual(response.status_code, 200, response.text)
        answer = response.json()
        self.assertEqual(
            (answer["created"], answer["updated"], answer["error"]), (3, 0, 0)
        )
        self.assertEqual([r["status"] for r in answer["results"]], ["created"] * 3)
        targets = self.targets()
        self.assertEqual(len(targets), 3)
        first = targets.filtered(lambda t: t.external_ref == "A-1001")
        self.assertEqual(first.id, answer["results"][0]["id"])
        self.assertEqual(first.phone, "+84987111222")
        self.assertEqual(first.payload["address"], "Kadıköy, İstanbul")
        self.assertEqual(first.priority, 5)
        self.assertEqual(str(first.next_attempt_at), "2026-12-01 06:00:00")
        self.assertEqual(first.partner_id.name, "Ayşe Yılmaz")
        self.assertEqual(first.partner_id.email, "ayse@example.com")
        self.assertEqual(first.name, "Ayşe Yılmaz")
        known = targets.filtered(lambda t: t.external_ref == "A-1002")
        self.assertEqual(known.partner_id, self.partner, "one profile per number")
        self.assertEqual(known.phone, CUSTOMER)
        sticky = targets.filtered(lambda t: not t.external_ref)
        self.assertEqual(sticky.sticky_user_id, self.agent)
        self.assertFalse(sticky.partner_id, "no name, nobody has the number")

    def test_repost_updates_instead_of_duplicating(self):
        self.post([self.loan_application("A-2001")])
        partners = self.env["res.partner"].search_count([])
        changed = self.loan_application("A-2001", priority=9)
        changed["payload"]["address"] = "Üsküdar, İstanbul"
        response = self.post([changed, self.loan_application("A-2002", "0987 111 223")])
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            [r["status"] for r in response.json()["results"]], ["updated", "created"]
        )
        target = self.targets().filtered(lambda t: t.external_ref == "A-2001")
        self.assertEqual(len(target), 1)
        self.assertEqual(target.priority, 9)
        self.assertEqual(target.payload["address"], "Üsküdar, İstanbul")
        self.assertEqual(
            self.env["res.partner"].search_count([]),
            partners + 1,
            "the same customer is not created twice",
        )

    def test_same_reference_twice_in_one_batch_is_one_target(self):
        response = self.post(
            [
                self.loan_application("A-3001"),
                self.loan_application("A-3001", number="0987 999 000"),
            ]
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            [r["status"] for r in response.json()["results"]], ["created", "updated"]
        )
        target = self.targets()
        self.assertEqual(len(target), 1)
        self.assertEqual(target.phone, "+84987999000", "the last item wins")

    def test_each_bad_item_gets_its_reason_and_the_others_pass(self):
        response = self.post(
            [
                {"name": "No number", "external_ref": "E-1"},
                {"number": "abc", "external_ref": "E-2"},
                {"number": "0987 111 224", "payload": "not an object"},
                {"number": "0987 111 225", "agent": "ts_agent_b"},
                {"number": "0987 111 226", "not_before": "tomorrow"},
                {"number": "0987 111 227", "priority": "high"},
                "just a string",
                {"number": "0987 111 228", "external_ref": "OK-1"},
            ]
        )
        self.assertEqual(response.status_code, 200, response.text)
        results = response.json()["results"]
        self.assertEqual([r["status"] for r in results], ["error"] * 7 + ["created"])
        reasons = [r.get("error") for r in results]
        self.assertIn("number is required", reasons[0])
        self.assertEqual(results[0]["external_ref"], "E-1")
        self.assertIn("not a valid phone number", reasons[1])
        self.assertIn("payload", reasons[2])
        self.assertIn("does not work in this campaign", reasons[3])
        self.assertIn("not_before", reasons[4])
        self.assertIn("priority", reasons[5])
        self.assertIn("JSON object", reasons[6])
        self.assertEqual(self.targets().mapped("external_ref"), ["OK-1"])

    def test_blacklisted_number_is_never_called(self):
        self.env["phone.blacklist"].sudo().add("+84987111229")
        response = self.post([self.loan_application("B-1", number="0987 111 229")])
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.targets().state, "do_not_call")

    def test_get_answers_state_attempts_and_result(self):
        self.post([self.loan_application("G-1")])
        target = self.targets()
        target.write({"attempts": 2, "state": "done", "result": "success"})
        response = self.get("G-1")
        self.assertEqual(response.status_code, 200, response.text)
        answer = response.json()
        self.assertEqual(answer["state"], "done")
        self.assertEqual(answer["attempts"], 2)
        self.assertEqual(answer["result"], "success")
        self.assertEqual(answer["number"], "+84987111222")
        # An agent of the campaign may read it too.
        self.assertEqual(self.get("G-1", key=self.agent_key).status_code, 200)
        # References are the source system's: slashes and spaces included.
        self.post([self.loan_application("APP/2026 7", number="0987 111 230")])
        response = self.get("APP%2F2026%207")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["external_ref"], "APP/2026 7")

    def test_nul_characters_are_stored_replaced(self):
        """JSON can carry "\\u0000", which PostgreSQL cannot store: it becomes
        U+FFFD, and the target is read back by its reference as sent."""
        item = self.loan_application("N\x00-1", name="Ay\x00şe")
        response = self.post([item])
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["created"], 1, response.text)
        target = self.targets()
        self.assertEqual(target.external_ref, "N\ufffd-1")
        self.assertIn("\ufffd", target.partner_id.name or target.name)
        response = self.get("N%00-1")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json()["external_ref"], "N\ufffd-1")

    def test_bad_requests_get_clear_answers(self):
        self.assertError(self.post(None, raw="{not json"), 400, "not valid JSON")
        self.assertError(self.post({"number": "0987"}), 400, "JSON list")
        self.assertError(self.post([]), 400, "no targets")
        too_many = [{"number": f"0987{i:06d}"} for i in range(1001)]
        self.assertError(self.post(too_many), 413, "at most 1000")
        self.assertError(
            self.post([{"number": "0987 111 222"}], campaign_id=999999), 404
        )
        self.assertError(self.get("nope"), 404, "unknown target")
        self.assertError(self.get("nope", campaign_id=999999), 404, "unknown campaign")
        self.assertFalse(self.targets())

    def test_keys_and_permissions(self):
        item = [{"number": "0987 111 222"}]
        self.assertError(self.post(item, key=False), 401, "missing API key")
        self.assertError(self.post(item, key="not-a-key"), 401, "invalid API key")
        self.assertError(self.get("P-0", key="not-a-key"), 401, "invalid API key")
        # (PostgreSQL cannot even compare a NUL.)
        self.assertError(self.get("P-0", key="ab\x00cd"), 401, "invalid API key")
        # Agents call targets, they do not add them.
        self.assertError(self.post(item, key=self.agent_key), 403, "managers")
        self.post([self.loan_application("P-1")])
        # An agent of another campaign reads nothing of this one.
        self.assertError(self.get("P-1", key=self.outsider_key), 403)
        self.assertEqual(len(self.targets()), 1)

    def test_targets_added_to_a_running_push_campaign_wake_the_dialer_cron(self):
        self.provider.generic_dialer_url = "http://127.0.0.1:9/cc-test/tasks"
        self.campaign.action_start()
        cron = self.env.ref("crm_telesales.ir_cron_crm_telesales_push")
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        self.assertEqual(self.post([{"number": "0987 111 231"}]).status_code, 200)
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 1)

    def test_done_campaign_takes_no_targets(self):
        self.campaign.state = "done"
        self.assertError(self.post([{"number": "0987 111 222"}]), 409, "done")
