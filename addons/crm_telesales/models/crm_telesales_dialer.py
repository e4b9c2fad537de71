import logging
import math
from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.addons.crm_callcenter.tools.providers import OriginateError
from odoo.exceptions import UserError
from odoo.tools import SQL

from .crm_telesales_target import OPEN_STATES

_logger = logging.getLogger(__name__)

# Modes the internal dialer serves (push goes to the center's own dialer).
INTERNAL_MODES = ("preview", "progressive", "predictive")
# Answered-rate pacing needs this many ended calls before it trusts them.
MIN_PACING_SAMPLE = 20
# Never more ringing lines per free agent than this, whatever the answer rate.
MAX_LINES_PER_AGENT = 5.0
# An agent with a live call this recent is not free for the dialer.
LIVE_CALL_MINUTES = 60
# A call whose end never came is not live any more after this (as in
# crm_callcenter's agent state).
LIVE_CALL_HOURS = 4


class CrmTelesalesDialer(models.AbstractModel):
    """The internal dialer: who gets which target, and how many lines ring.

    Picking locks the chosen rows (``FOR UPDATE SKIP LOCKED``) and marks them
    ``dialing`` in the same transaction: concurrent agents and dialer runs
    skip what another one is handing out, and never get the same target.
    """

    _name = "crm.telesales.dialer"
    _description = "Telesales Dialer"

    # ------------------------------------------------------------------
    # Campaigns and agents
    # ------------------------------------------------------------------

    @api.model
    def _agent_campaigns(self, user, modes=INTERNAL_MODES):
        """Running campaigns ``user`` works in (listed or through the team)."""
        return (
            self.env["crm.telesales.campaign"]
            .sudo()
            .search(
                [
                    ("state", "=", "running"),
                    ("mode", "in", list(modes)),
                    ("company_id", "in", user.company_ids.ids),
                    "|",
                    ("user_ids", "in", user.id),
                    ("team_id.member_ids", "in", user.id),
                ]
            )
        )

    @api.model
    def _busy_agent_ids(self, users):
        """Agents holding a target or on a live call: not free for the dialer."""
        busy = {
            user.id
            for (user,) in self.env["crm.telesales.target"]
            .sudo()
            ._read_group(
                [("user_id", "in", users.ids), ("state", "in", ("dialing", "in_call"))],
                ["user_id"],
            )
        }
        since = fields.Datetime.now() - timedelta(minutes=LIVE_CALL_MINUTES)
        busy.update(
            user.id
            for (user,) in self.env["crm.callcenter.call"]
            .sudo()
            ._read_group(
                [
                    ("user_id", "in", users.ids),
                    ("state", "in", ("ringing", "answered")),
                    ("started_at", ">=", since),
                ],
                ["user_id"],
            )
        )
        return busy

    @api.model
    def _free_agents(self, campaigns):
        """Available agents of ``campaigns``, longest waiting first."""
        users = self.env["res.users"]
        for campaign in campaigns:
            users |= campaign._get_agents()
        if not users:
            return users
        users = (
            self.env["res.users"]
            .sudo()
            .search(
                [
                    ("id", "in", users.ids),
                    *self.env["res.users"]._callcenter_available_domain(),
                ],
                order="callcenter_presence_since, id",
            )
        )
        busy = self._busy_agent_ids(users)
        return users.filtered(lambda u: u.id not in busy)

    # ------------------------------------------------------------------
    # Calling windows
    # ------------------------------------------------------------------

    @api.model
    def _window_open(self, campaign, tz_name, now):
        """Whether ``campaign`` may call a target of time zone ``tz_name`` at
        ``now`` (naive UTC). No window: any time."""
        windows = campaign.window_ids
        if not windows:
            return True
        tz_name = tz_name or campaign.company_id.partner_id.tz or "UTC"
        try:
            zone = pytz.timezone(tz_name)
        except pytz.UnknownTimeZoneError:
            zone = pytz.utc
        local = pytz.utc.localize(now).astimezone(zone)
        hour = local.hour + local.minute / 60 + local.second / 3600
        weekday = str(local.weekday())
        return any(
            w.weekday == weekday and w.hour_from <= hour < w.hour_to for w in windows
        )

    @api.model
    def _open_pairs(self, campaigns, now):
        """``(campaign id, tz)`` of the due targets that may be called now.

        The windows are read in each target's time zone: the question is
        asked once per time zone present, not once per target.
        """
        Target = self.env["crm.telesales.target"]
        Target.flush_model(["campaign_id", "tz", "state", "next_attempt_at"])
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT campaign_id, COALESCE(tz, '')"
                " FROM crm_telesales_target"
                " WHERE campaign_id IN %s AND state IN %s"
                " AND (next_attempt_at IS NULL OR next_attempt_at <= %s)",
                tuple(campaigns.ids),
                OPEN_STATES,
                now,
            )
        )
        by_id = {campaign.id: campaign for campaign in campaigns}
        return [
            (campaign_id, tz)
            for campaign_id, tz in self.env.cr.fetchall()
            if self._window_open(by_id[campaign_id], tz, now)
        ]

    # ------------------------------------------------------------------
    # Picking
    # ------------------------------------------------------------------

    @api.model
    def _pick(self, campaigns, user=None, limit=1, sticky_only=None, now=None):
        """Lock and hand out up to ``limit`` due targets of ``campaigns``.

        For ``user``: their call-backs (sticky targets) first, then by
        priority and due time; another agent's call-back only when that
        agent is offline. Without a user (predictive lines to the queue):
        targets without a sticky agent at work. ``sticky_only`` campaigns
        only give ``user`` their own call-backs (a predictive campaign's
        call-back goes to its agent's extension, not to the queue).

        The targets are ``dialing`` and the user's when this returns; the
        caller's transaction holds their locks until it ends.
        """
        now = now or fields.Datetime.now()
        sticky_only = sticky_only or self.env["crm.telesales.campaign"]
        campaigns = campaigns.sudo()
        all_campaigns = campaigns | sticky_only.sudo()
        Target = self.env["crm.telesales.target"].sudo()
        if not all_campaigns or limit <= 0:
            return Target
        pairs = self._open_pairs(all_campaigns, now)
        if not pairs:
            return Target
        Target.flush_model()
        self.env["res.users"].flush_model(["callcenter_presence", "active"])
        uid = user.id if user else None
        in_window = SQL(
            "(t.campaign_id, COALESCE(t.tz, '')) IN (%s)",
            SQL(", ").join(SQL("(%s, %s)", cid, tz) for cid, tz in pairs),
        )
        # Another agent's call-back only goes elsewhere when they are gone.
        sticky_free = SQL(
            "(t.sticky_user_id IS NULL OR su.callcenter_presence = 'offline'"
            " OR NOT su.active%s)",
            SQL(" OR t.sticky_user_id = %s", uid) if uid else SQL(""),
        )
        scope = SQL("t.campaign_id IN %s", tuple(campaigns.ids or [0]))
        if uid and sticky_only:
            scope = SQL(
                "(%s OR (t.campaign_id IN %s AND t.sticky_user_id = %s))",
                scope,
                tuple(sticky_only.ids),
                uid,
            )
        mine_first = (
            SQL("(t.sticky_user_id = %s) IS TRUE DESC, ", uid) if uid else SQL("")
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT t.id FROM crm_telesales_target t
                LEFT JOIN res_users su ON su.id = t.sticky_user_id
                WHERE t.state IN %s
                  AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= %s)
                  AND %s AND %s AND %s
                ORDER BY %st.priority DESC, t.next_attempt_at NULLS FIRST, t.id
                LIMIT %s
                FOR UPDATE OF t SKIP LOCKED
                """,
                OPEN_STATES,
                now,
                scope,
                in_window,
                sticky_free,
                mine_first,
                limit,
            )
        )
        targets = Target.browse([row[0] for row in self.env.cr.fetchall()])
        if targets:
            targets.write(
                {"state": "dialing", "user_id": uid or False, "dialing_since": now}
            )
        return targets

    @api.model
    def _pick_for_agent(self, user, modes=("preview",)):
        """The agent's next target among the running campaigns they work in."""
        campaigns = self._agent_campaigns(user, modes)
        sticky_only = self.env["crm.telesales.campaign"]
        if "progressive" in modes:
            sticky_only = self._agent_campaigns(user, ("predictive",))
        return self._pick(campaigns, user=user, sticky_only=sticky_only)

    # ------------------------------------------------------------------
    # Predictive pacing
    # ------------------------------------------------------------------

    @api.model
    def _campaign_call_stats(self, campaigns):
        """``{campaign id: (calls, answered, abandoned)}`` over each campaign's
        last ``abandon_window`` ended calls; abandoned: answered by the
        customer, never connected to an agent."""
        if not campaigns:
            return {}
        self.env["crm.callcenter.call"].flush_model(
            ["telesales_campaign_id", "state", "outcome", "user_id"]
        )
        self.env["crm.telesales.campaign"].flush_model(["abandon_window"])
        self.env.cr.execute(
            SQL(
                """
                SELECT c.id, count(l.outcome),
                       count(*) FILTER (WHERE l.outcome = 'answered'),
                       count(*) FILTER (WHERE l.outcome = 'answered'
                                          AND l.user_id IS NULL)
                FROM crm_telesales_campaign c
                LEFT JOIN LATERAL (
                    SELECT k.outcome, k.user_id FROM crm_callcenter_call k
                    WHERE k.telesales_campaign_id = c.id AND k.state = 'ended'
                    ORDER BY k.ended_at DESC NULLS LAST, k.id DESC
                    LIMIT GREATEST(c.abandon_window, 1)
                ) l ON TRUE
                WHERE c.id IN %s
                GROUP BY c.id
                """,
                tuple(campaigns.ids),
            )
        )
        return {row[0]: tuple(row[1:]) for row in self.env.cr.fetchall()}

    @api.model
    def _lines_per_agent(self, campaign, stats):
        """Lines to ring per free agent: from the measured answer rate once
        enough calls ended (the initial ratio before), one when the
        abandonment rate passed the campaign's cap."""
        calls, answered, abandoned = stats
        if answered and abandoned * 100.0 / answered > campaign.abandon_rate_cap:
            return 1.0
        if calls >= min(MIN_PACING_SAMPLE, max(campaign.abandon_window, 1)):
            if not answered:
                return MAX_LINES_PER_AGENT
            ratio = calls / answered
        else:
            ratio = campaign.pacing_ratio
        return min(max(ratio, 1.0), MAX_LINES_PER_AGENT)

    @api.model
    def _predictive_lines_to_dial(self, campaign, free_agents, stats, ringing, live):
        """New lines to dial now: ``free_agents`` times the lines per agent, less the
        ``ringing`` ones, never above ``max_lines`` with the ``live`` ones."""
        if free_agents <= 0:
            return 0
        wanted = math.floor(free_agents * self._lines_per_agent(campaign, stats))
        room = campaign.max_lines - live
        return max(0, min(wanted - ringing, room))

    # ------------------------------------------------------------------
    # The dialer run (cron)
    # ------------------------------------------------------------------

    @api.model
    def _trigger(self):
        """Wake the dialer (an agent became free, a call ended, a campaign
        started)."""
        # Once per transaction, in one SQL insert: presence changes call
        # this from the call event intake.
        data = self.env.cr.precommit.data
        if not data.get("crm_telesales.dialer_triggered"):
            data["crm_telesales.dialer_triggered"] = True
            self.env["crm.callcenter.event"]._trigger_cron(
                "crm_telesales.ir_cron_crm_telesales_dialer"
            )

    @api.model
    def _cron_dial(self):
        # A run that loses to a call event (stale targets, agents' rows) is
        # run again at once, not a minute later with idle agents. Safe to
        # repeat: each reservation and each call placed is committed in a
        # transaction of its own, and a reserved target or agent is not
        # free for the next run.
        self.env["ir.cron"]._callcenter_retrying(self._dial_due)

    @api.model
    def _dial_due(self):
        self._release_stale()
        Campaign = self.env["crm.telesales.campaign"].sudo()
        campaigns = Campaign.search(
            [("state", "=", "running"), ("mode", "in", ("progressive", "predictive"))]
        )
        if not campaigns:
            return
        self._dial_progressive(campaigns)
        for campaign in campaigns.filtered(lambda c: c.mode == "predictive"):
            self._dial_predictive(campaign)

    @api.model
    def _dial_progressive(self, campaigns):
        """One call per free agent, longest waiting first; an agent of
        predictive campaigns only gets their own call-backs this way."""
        Call = self.env["crm.callcenter.call"]
        for agent in self._free_agents(campaigns):
            if not Call._get_originate_extension(agent)[1]:
                continue
            agent_id = agent.id

            def reserve(env, agent_id=agent_id):
                dialer = env["crm.telesales.dialer"]
                user = env["res.users"].browse(agent_id)
                target = dialer._pick_for_agent(user, ("progressive",))
                return target.id, target.phone

            target_id, phone = Call._in_new_transaction(reserve)
            if not target_id:
                continue
            try:
                Call.with_user(agent).action_click_to_call(
                    phone, "crm.telesales.target", target_id
                )
            except UserError as exc:
                _logger.info("Target %s could not be called: %s", target_id, exc)
                self._release_failed(target_id)
            else:
                self._notify_target(agent, target_id)

    @api.model
    def _dial_predictive(self, campaign):
        """Ring lines to the campaign's queue for its free agents."""
        free = len(self._free_agents(campaign))
        Target = self.env["crm.telesales.target"].sudo()
        counts = dict(
            Target._read_group(
                [
                    ("campaign_id", "=", campaign.id),
                    ("state", "in", ("dialing", "in_call")),
                ],
                ["state"],
                ["__count"],
            )
        )
        stats = self._campaign_call_stats(campaign)[campaign.id]
        lines = self._predictive_lines_to_dial(
            campaign,
            free,
            stats,
            ringing=counts.get("dialing", 0),
            live=counts.get("dialing", 0) + counts.get("in_call", 0),
        )
        if not lines or not campaign.queue_extension:
            return
        campaign_id = campaign.id

        def reserve(env):
            picked = env["crm.telesales.dialer"]._pick(
                env["crm.telesales.campaign"].browse(campaign_id), limit=lines
            )
            return [(t.id, t.phone) for t in picked]

        Call = self.env["crm.callcenter.call"]
        for target_id, phone in Call._in_new_transaction(reserve):
            try:
                Call._telesales_originate_queue(campaign, target_id, phone)
            except (OriginateError, UserError) as exc:
                _logger.info("Target %s could not be called: %s", target_id, exc)
                self._release_failed(target_id)

    @api.model
    def _release_failed(self, target_id):
        """The center refused the call: an attempt that failed."""

        def release(env):
            target = env["crm.telesales.target"].sudo().browse(target_id)
            if target.state == "dialing":
                target._register_dial_failure()

        self.env["crm.callcenter.call"]._in_new_transaction(release)

    @api.model
    def _notify_target(self, agent, target_id):
        """The agent's workspace shows the target the dialer called for them
        (this transaction may not see the reservation: tell them directly)."""
        agent._bus_send(
            "crm_telesales/target", {"target_id": target_id, "state": "dialing"}
        )

    @api.model
    def _release_stale(self):
        """Targets handed out whose call never reported back go back to the
        queue after the campaign's timeout (a lost event, a closed browser)."""
        now = fields.Datetime.now()
        Target = self.env["crm.telesales.target"].sudo()
        in_call_limit = now - timedelta(hours=LIVE_CALL_HOURS)
        stale = Target.search(
            [("state", "in", ("dialing", "in_call")), ("dialing_since", "!=", False)]
        ).filtered(
            lambda t: (
                t.dialing_since
                <= (
                    in_call_limit
                    if t.state == "in_call"
                    else now - timedelta(minutes=t.campaign_id.dial_timeout_minutes)
                )
            )
        )
        if stale:
            _logger.info("Releasing %s telesales targets stuck dialing", len(stale))
            stale.write(
                {
                    "state": "scheduled",
                    "user_id": False,
                    "dialing_since": False,
                    "next_attempt_at": now,
                }
            )
