from datetime import timedelta

from odoo.tests import tagged

from .common import BASE_TIME, CallcenterCase

FOLDED_FIELDS = [
    "direction",
    "state",
    "outcome",
    "from_number",
    "to_number",
    "user_id",
    "extension",
    "partner_id",
    "started_at",
    "answered_at",
    "ended_at",
    "duration",
    "billsec",
    "hangup_cause",
]


@tagged("post_install", "-at_install")
class TestCallFolding(CallcenterCase):
    def test_answered_sequence_builds_one_call(self):
        self.feed(self.center.answered_call("fold-1"))
        call = self.assertCallLogged(
            "fold-1",
            direction="inbound",
            state="ended",
            outcome="answered",
            from_number="+84903555111",
            user_id=self.agent,
            partner_id=self.partner,
            started_at=BASE_TIME,
            answered_at=BASE_TIME + timedelta(seconds=12),
            ended_at=BASE_TIME + timedelta(seconds=92),
            duration=92,
            billsec=80,
            hangup_cause="NORMAL_CLEARING",
        )
        self.assertEqual(len(call.event_ids), 3)
        self.assertEqual(set(call.event_ids.mapped("state")), {"done"})

    def test_reverse_order_gives_the_same_call(self):
        self.feed(self.center.answered_call("fold-in-order"))
        self.feed(reversed(self.center.answered_call("fold-reversed")))
        in_order = self.get_call("fold-in-order")
        reverse = self.get_call("fold-reversed")
        for fname in FOLDED_FIELDS:
            self.assertEqual(in_order[fname], reverse[fname], fname)

    def test_state_never_moves_back(self):
        ringing, answered, ended = self.center.answered_call("fold-late-ring")
        self.feed([answered, ended, ringing])
        self.assertCallLogged("fold-late-ring", state="ended", outcome="answered")

    def test_details_after_end_fill_in(self):
        self.feed(self.center.answered_call("fold-details"))
        self.feed(
            [
                self.center.event(
                    "call.updated",
                    "fold-details",
                    at=BASE_TIME + timedelta(minutes=5),
                    duration=95,
                    billsec=81,
                    recording_url="https://pbx.example.com/rec/fold-details.mp3",
                )
            ]
        )
        self.assertCallLogged(
            "fold-details",
            state="ended",
            outcome="answered",
            duration=95,
            billsec=81,
            recording_url="https://pbx.example.com/rec/fold-details.mp3",
            ended_at=BASE_TIME + timedelta(seconds=92),
        )

    def test_unanswered_inbound_call_is_missed(self):
        self.feed(
            [
                self.center.event("call.ringing", "fold-missed", agent="101"),
                self.center.event(
                    "call.ended",
                    "fold-missed",
                    at=BASE_TIME + timedelta(seconds=30),
                    hangup_cause="ORIGINATOR_CANCEL",
                ),
            ]
        )
        self.assertCallLogged(
            "fold-missed", state="ended", outcome="missed", duration=30, billsec=0
        )

    def test_reported_outcome_wins(self):
        self.feed(
            [
                self.center.event(
                    "call.ringing",
                    "fold-busy",
                    direction="outbound",
                    from_="101",
                    to="0987654321",
                    agent="102",
                ),
                self.center.event(
                    "call.ended",
                    "fold-busy",
                    direction="outbound",
                    from_="101",
                    to="0987654321",
                    outcome="busy",
                ),
            ]
        )
        call = self.assertCallLogged("fold-busy", outcome="busy", user_id=self.agent_b)
        self.assertEqual(call.to_number, "+84987654321")

    def test_answering_agent_owns_the_call(self):
        self.feed(
            [
                self.center.event("call.ringing", "fold-transfer", agent="101"),
                self.center.event(
                    "call.answered",
                    "fold-transfer",
                    agent="102",
                    at=BASE_TIME + timedelta(seconds=5),
                ),
            ]
        )
        self.assertCallLogged("fold-transfer", user_id=self.agent_b, extension="102")

    def test_unknown_extension_and_unknown_number(self):
        self.feed(
            [
                self.center.event(
                    "call.ringing",
                    "fold-unknown",
                    agent="999",
                    from_="+84 28 3999 0000",
                )
            ]
        )
        call = self.assertCallLogged("fold-unknown", extension="999")
        self.assertFalse(call.user_id)
        self.assertFalse(call.partner_id)
        self.assertEqual(call.from_number, "+842839990000")

    def test_open_lead_is_matched_with_its_contact(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Loan request",
                "phone": "+84 912 000 111",
                "partner_id": self.partner.id,
                "country_id": self.vn.id,
            }
        )
        self.feed([self.center.event("call.ringing", "fold-lead", from_="0912000111")])
        self.assertCallLogged("fold-lead", lead_id=lead, partner_id=self.partner)

    def test_duplicate_delivery_is_a_no_op(self):
        ringing = self.center.event("call.ringing", "fold-dup", msg_id="msg-dup-1")
        ((first, first_dup),) = self.feed([ringing])
        ((again, again_dup),) = self.feed([ringing])
        self.assertFalse(first_dup)
        self.assertTrue(again_dup)
        self.assertEqual(first, again)
        self.assertEqual(
            self.env["crm.callcenter.event"].search_count(
                [("dedup_key", "=", "msg-dup-1")]
            ),
            1,
        )
        self.assertEqual(len(self.get_call("fold-dup")), 1)

    def test_a_known_message_id_changes_nothing_even_with_another_body(self):
        """The provider's message id decides: a second body under a stored
        id (a buggy or replaying sender) is not folded into the call."""
        self.feed(
            [
                self.center.event(
                    "call.ringing", "fold-key", msg_id="msg-key-1", agent="101"
                )
            ]
        )
        ((event, duplicate),) = self.feed(
            [
                self.center.event(
                    "call.answered", "fold-key", msg_id="msg-key-1", agent="101"
                )
            ]
        )
        self.assertTrue(duplicate)
        self.assertEqual(event.event_type, "call.ringing")
        self.assertCallLogged("fold-key", state="ringing", answered_at=False)
        self.assertEqual(self.agent.callcenter_presence, "offline")
        # The agent's browser heard of the ringing call only.
        states = [payload["state"] for payload in self.bus_payloads(self.agent)]
        self.assertEqual(states, ["ringing"])
