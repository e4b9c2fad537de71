"""The supervisors' live view: calls now, agents and their current call."""

from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import SECRET, CallcenterCase


class WallboardCase(CallcenterCase):
    def live(self, user=None):
        Call = self.env["crm.callcenter.call"].with_user(user or self.manager)
        return Call.get_wallboard_data()

    def ago(self, seconds):
        return fields.Datetime.now() - timedelta(seconds=seconds)

    def ring(self, call_id, seconds_ago, **data):
        common = {"from_": "0903555111", "to": "+842838123456", **data}
        self.feed(
            [
                self.center.event(
                    "call.ringing", call_id, at=self.ago(seconds_ago), **common
                )
            ]
        )
        return self.get_call(call_id)

    def end(self, call_id, seconds_ago, **data):
        common = {"to": "+842838123456", **data}
        self.feed(
            [
                self.center.event(
                    "call.ended", call_id, at=self.ago(seconds_ago), **common
                )
            ]
        )
        return self.get_call(call_id)

    def answer(self, call_id, seconds_ago, **data):
        common = {"from_": "0903777888", "to": "+842838123456", **data}
        self.feed(
            [
                self.center.event(
                    "call.answered", call_id, at=self.ago(seconds_ago), **common
                )
            ]
        )
        return self.get_call(call_id)


@tagged("post_install", "-at_install")
class TestWallboard(WallboardCase):
    def test_calls_and_agents_now(self):
        before = self.live()
        waiting = self.ring("live-1", 90, queue="sales")
        self.ring("live-2", 300, agent="101", from_="0903777888", queue="support")
        talking = self.answer("live-2", 240, agent="101")
        self.agent_b.sudo()._callcenter_update_presence("available")

        data = self.live()
        self.assertEqual(data["waiting"], before["waiting"] + 1)
        self.assertEqual(data["in_progress"], before["in_progress"] + 1)
        rows = {row["id"]: row for row in data["calls"]}
        # The customer's wait while it rings; the talk time once answered.
        self.assertEqual(rows[waiting.id]["state"], "ringing")
        self.assertEqual(rows[waiting.id]["name"], "Nguyễn Thị Test")
        self.assertEqual(rows[waiting.id]["queue"], "sales")
        self.assertAlmostEqual(rows[waiting.id]["seconds"], 90, delta=5)
        self.assertEqual(rows[talking.id]["agent"], "Agent A")
        self.assertAlmostEqual(rows[talking.id]["seconds"], 240, delta=5)
        # Oldest first.
        ids = [row["id"] for row in data["calls"]]
        self.assertLess(ids.index(talking.id), ids.index(waiting.id))
        self.assertGreaterEqual(data["longest_wait"], 85)

        agents = {row["id"]: row for row in data["agents"]}
        agent_a, agent_b = agents[self.agent.id], agents[self.agent_b.id]
        self.assertEqual(agent_a["presence"], "in_call")
        self.assertEqual(agent_a["presence_label"], "In Call")
        self.assertEqual(agent_a["call"]["id"], talking.id)
        self.assertEqual(agent_a["call"]["number"], "+84903777888")
        self.assertEqual(agent_b["presence"], "available")
        self.assertIsNone(agent_b["call"])
        self.assertEqual(
            data["presence_counts"]["in_call"], before["presence_counts"]["in_call"] + 1
        )
        # Busiest first: in call before available.
        order = [row["id"] for row in data["agents"]]
        self.assertLess(order.index(self.agent.id), order.index(self.agent_b.id))
        self.assertEqual(data["today"]["calls_in"], before["today"]["calls_in"] + 2)

        # The call ends: it leaves the list, the agent is no longer on it.
        self.feed(
            [
                self.center.event(
                    "call.ended",
                    "live-2",
                    from_="0903777888",
                    to="+842838123456",
                    agent="101",
                )
            ]
        )
        data = self.live()
        self.assertNotIn(talking.id, [row["id"] for row in data["calls"]])
        agent_a = {row["id"]: row for row in data["agents"]}[self.agent.id]
        self.assertIsNone(agent_a["call"])
        self.assertIn(agent_a["presence"], ("wrap_up", "available"))

    def test_queues_now_and_today(self):
        # Queue names of this test only: other calls may be live today.
        self.ring("q-1", 120, queue="qa-sales", from_="0903000201")
        self.ring("q-2", 30, queue="qa-sales", from_="0903000202")
        self.ring("q-3", 200, queue="qa-support", agent="101", from_="0903000203")
        self.answer("q-3", 180, queue="qa-support", agent="101", from_="0903000203")
        self.ring("q-4", 100, queue="qa-support", from_="0903000204")
        self.end("q-4", 60, queue="qa-support", from_="0903000204")
        self.ring("q-5", 400, queue="qa-support", agent="102", from_="0903000205")
        self.answer("q-5", 390, queue="qa-support", agent="102", from_="0903000205")
        self.end("q-5", 300, queue="qa-support", agent="102", from_="0903000205")
        rows = {
            row["queue"]: row
            for row in self.live()["queues"]
            if row["queue"].startswith("qa-")
        }
        sales, support = rows["qa-sales"], rows["qa-support"]
        self.assertEqual((sales["waiting"], sales["in_progress"]), (2, 0))
        self.assertAlmostEqual(sales["longest_wait"], 120, delta=5)
        self.assertEqual((support["waiting"], support["in_progress"]), (0, 1))
        self.assertIsNone(support["longest_wait"])
        # Today: q-5 answered, q-4 missed, q-3 in progress (answered once it
        # ends, as on the dashboard); the ringing ones count in, not yet as
        # missed.
        self.assertEqual((support["calls_in"], support["missed"]), (3, 1))
        self.assertAlmostEqual(support["answer_rate"], 1 / 3)
        self.assertEqual((sales["calls_in"], sales["missed"]), (2, 0))
        # Busiest first: calls waiting before calls in progress.
        queues = [row["queue"] for row in self.live()["queues"]]
        self.assertLess(queues.index("qa-sales"), queues.index("qa-support"))
        # A row opens its calls of now and of today.
        Call = self.env["crm.callcenter.call"].with_user(self.manager)
        self.assertEqual(
            set(Call.search(support["domain"]).mapped("external_call_id")),
            {"q-3", "q-4", "q-5"},
        )

    def test_managers_only(self):
        with self.assertRaises(AccessError):
            self.live(self.agent)

    def test_only_the_allowed_companies(self):
        branch = self.env["res.company"].create({"name": "Branch"})
        provider_2 = self.env["crm.callcenter.provider"].create(
            {
                "name": "Branch Center",
                "code": "generic",
                "company_id": branch.id,
                "default_country_id": self.vn.id,
                "webhook_secret": SECRET,
            }
        )
        branch_agent = new_test_user(
            self.env,
            login="cc_branch_agent",
            name="Branch Agent",
            company_id=branch.id,
            company_ids=[Command.set(branch.ids)],
            groups="crm_callcenter.crm_callcenter_group_agent",
        )
        self.manager.company_ids |= branch
        main = self.ring("live-main", 30)
        self.feed(
            [self.center.event("call.ringing", "live-branch", from_="0903000088")],
            provider=provider_2,
        )
        branch_call = self.get_call("live-branch", provider=provider_2)

        def seen(companies):
            Call = self.env["crm.callcenter.call"].with_user(self.manager)
            data = Call.with_context(
                allowed_company_ids=companies.ids
            ).get_wallboard_data()
            return (
                {row["id"] for row in data["calls"]},
                {row["id"] for row in data["agents"]},
            )

        calls, agents = seen(self.env.company)
        self.assertIn(main.id, calls)
        self.assertNotIn(branch_call.id, calls)
        self.assertNotIn(branch_agent.id, agents)
        calls, agents = seen(branch)
        self.assertEqual(calls & {main.id, branch_call.id}, {branch_call.id})
        self.assertIn(branch_agent.id, agents)
        self.assertNotIn(self.agent.id, agents)


@tagged("post_install", "-at_install")
class TestWallboardUi(HttpCase, WallboardCase):
    def test_live_view_follows_the_agents(self):
        """The manager sees the waiting call, the clocks tick, and an agent's
        change shows at the next refresh without reloading."""
        self.ring("live-ui", 75, from_="0903000077", queue="sales")
        code = """
            const deadline = Date.now() + 25000;
            let firstClock = null;
            let changed = false;
            const waitingRow = () => [...document.querySelectorAll(
                '.o_crm_callcenter_wallboard_call')].find(
                    (row) => row.textContent.includes('+84903000077'));
            const check = async () => {
                const row = waitingRow();
                if (row && firstClock === null) {
                    firstClock = row.lastElementChild.textContent.trim();
                }
                const ticked = row && row.lastElementChild.textContent.trim() !== firstClock;
                if (ticked && !changed) {
                    changed = true;
                    // The manager, an agent too, becomes available.
                    await fetch('/web/dataset/call_kw/res.users/callcenter_set_presence', {
                        method: 'POST',
                        headers: {'Content-Type': 'application/json'},
                        body: JSON.stringify({jsonrpc: '2.0', method: 'call', params: {
                            model: 'res.users', method: 'callcenter_set_presence',
                            args: ['available'], kwargs: {}}}),
                    });
                }
                const shown = [...document.querySelectorAll(
                    '.o_crm_callcenter_wallboard_agent')].some(
                        (agent) => agent.textContent.includes('Call Center Manager')
                            && agent.textContent.includes('Available'));
                // The call waits in its queue's row too.
                const queueRow = document.querySelector(
                    '.o_crm_callcenter_wallboard_queue[data-queue="sales"]');
                const queued = queueRow
                    && parseInt(queueRow.children[1].textContent) >= 1;
                if (changed && shown && queued) {
                    console.log('test successful');
                } else if (Date.now() > deadline) {
                    console.error('live view not as expected (clock ' + firstClock
                        + ', ticked ' + ticked + ', queued ' + queued + '): '
                        + document.body.innerText.slice(0, 800));
                } else {
                    setTimeout(check, 200);
                }
            };
            check();
        """
        self.browser_js(
            "/odoo/action-crm_callcenter.crm_callcenter_wallboard_action",
            code,
            login="cc_manager",
            timeout=60,
        )
