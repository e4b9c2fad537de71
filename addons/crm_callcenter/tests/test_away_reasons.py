from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import freeze_time

from .common import CallcenterCase, load_migration


@tagged("post_install", "-at_install")
class TestAwayReasons(CallcenterCase):
    """Agents say why they are away; supervisors see it live and add up
    the time spent on each reason."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lunch = cls.env.ref("crm_callcenter.crm_callcenter_away_reason_lunch")
        cls.training = cls.env.ref("crm_callcenter.crm_callcenter_away_reason_training")

    def set_presence(self, presence, reason=None, user=None):
        user = user or self.agent
        args = [presence, reason.id] if reason else [presence]
        return user.with_user(user).callcenter_set_presence(*args)

    def logs(self, user):
        return self.env["crm.callcenter.presence.log"].search(
            [("user_id", "=", user.id)], order="date_start, id"
        )

    def test_away_with_a_reason_is_kept_and_logged(self):
        with freeze_time("2026-03-02 02:00:00"):
            self.set_presence("available")
        with freeze_time("2026-03-02 05:00:00"):
            state = self.set_presence("away", self.lunch)
        self.assertEqual(state["presence"], "away")
        self.assertEqual(state["away_reason"], {"id": self.lunch.id, "name": "Lunch"})
        self.assertEqual(self.agent.callcenter_away_reason_id, self.lunch)
        # Another reason while away is a new stretch of the history.
        with freeze_time("2026-03-02 05:45:00"):
            self.set_presence("away", self.training)
        with freeze_time("2026-03-02 07:15:00"):
            state = self.set_presence("available")
        self.assertFalse(state["away_reason"])
        self.assertFalse(self.agent.callcenter_away_reason_id)
        self.assertEqual(
            [
                (log.presence, log.away_reason_id, log.duration_hours)
                for log in self.logs(self.agent)
            ],
            [
                ("available", self.env["crm.callcenter.away.reason"], 3.0),
                ("away", self.lunch, 0.75),
                ("away", self.training, 1.5),
                ("available", self.env["crm.callcenter.away.reason"], 0.0),
            ],
        )
        self.assertFalse(self.logs(self.agent)[-1].date_end)

    def test_the_same_reason_again_changes_nothing(self):
        self.set_presence("away", self.lunch)
        self.set_presence("away", self.lunch)
        self.assertEqual(len(self.logs(self.agent)), 1)

    def test_away_without_a_reason(self):
        self.set_presence("away", self.lunch)
        state = self.set_presence("away")
        self.assertFalse(state["away_reason"])
        self.assertEqual(self.logs(self.agent).mapped("away_reason_id"), self.lunch)
        self.assertEqual(len(self.logs(self.agent)), 2)

    def test_a_reason_only_goes_with_away(self):
        with self.assertRaises(UserError):
            self.set_presence("available", self.lunch)
        archived = self.env["crm.callcenter.away.reason"].create(
            {"name": "Smoke break", "active": False}
        )
        with self.assertRaises(UserError):
            self.set_presence("away", archived)
        for wrong in (999999, "lunch", [1]):
            with self.assertRaises(UserError):
                self.agent.with_user(self.agent).callcenter_set_presence("away", wrong)
        self.assertEqual(self.agent.callcenter_presence, "offline")

    def test_agents_get_the_reasons_and_the_live_view_shows_them(self):
        state = self.env["crm.callcenter.call"].with_user(self.agent).get_agent_state()
        names = [name for _id, name in state["away_reasons"]]
        self.assertIn("Lunch", names)
        self.assertLess(names.index("Break"), names.index("Lunch"))
        self.set_presence("away", self.lunch)
        data = (
            self.env["crm.callcenter.call"].with_user(self.manager).get_wallboard_data()
        )
        (row,) = [row for row in data["agents"] if row["id"] == self.agent.id]
        self.assertEqual((row["presence"], row["away_reason"]), ("away", "Lunch"))
        # A call taking the agent back clears the reason.
        self.feed(
            self.center.answered_call(
                "away-call", start=datetime.now().replace(microsecond=0)
            )[:2]
        )
        self.assertEqual(self.agent.callcenter_presence, "in_call")
        self.assertFalse(self.agent.callcenter_away_reason_id)

    def test_upgrade_gives_past_stretches_their_duration(self):
        migration = load_migration("19.0.1.2.0")
        with freeze_time("2026-03-02 02:00:00"):
            self.set_presence("available")
        with freeze_time("2026-03-02 02:30:00"):
            self.set_presence("away")
        log = self.logs(self.agent)[0]
        # As a database of 19.0.1.1.0 has them: no duration.
        self.env.cr.execute(
            "UPDATE crm_callcenter_presence_log SET duration_hours = NULL"
            " WHERE user_id = %s",
            [self.agent.id],
        )
        log.invalidate_recordset()
        self.assertFalse(log.duration_hours)
        migration.migrate(self.env.cr, "19.0.1.1.0")
        log.invalidate_recordset()
        self.assertEqual(log.duration_hours, 0.5)
        self.assertFalse(self.logs(self.agent)[1].duration_hours)
