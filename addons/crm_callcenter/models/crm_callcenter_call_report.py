from collections import defaultdict
from datetime import date, datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import format_date

from ..tools.call_event import SATISFIED_SCORE

# Dashboard grouping key -> read_group spec on crm.callcenter.call
DASHBOARD_GROUPBYS = {
    "agent": "user_id",
    "team": "team_id",
    "queue": "queue",
    "day": "started_at:day",
    "week": "started_at:week",
}
PENDING_LIMIT = 50
# Presences in which an agent takes calls.
READY_PRESENCES = ("available", "in_call", "wrap_up")


def _presence_overlap(stretches, shifts):
    """Seconds of ``stretches`` ([(kind, begin, end)], in order, not
    overlapping) within ``shifts`` ([(begin, end)], in order, disjoint), per
    kind, and seconds outside them; epoch seconds. One sweep."""
    within = defaultdict(float)
    outside = 0.0
    first = 0
    for kind, begin, end in stretches:
        while first < len(shifts) and shifts[first][1] <= begin:
            first += 1
        inside = 0.0
        index = first
        while index < len(shifts) and shifts[index][0] < end:
            inside += max(
                0.0, min(end, shifts[index][1]) - max(begin, shifts[index][0])
            )
            index += 1
        within[kind] += inside
        outside += max(0.0, end - begin - inside)
    return within, outside


def _shift_days(shifts):
    """``shifts`` ([(begin, end, local date)], in order) grouped into working
    days: [[(begin, end), ...]], a day's shifts being those of its date. A
    shift that continues the last one without a break (a night shift past
    midnight) belongs to that one's day."""
    days = []
    day_date = None
    for begin, end, day in shifts:
        if days and (day == day_date or days[-1][-1][1] == begin):
            days[-1].append((begin, end))
        else:
            days.append([(begin, end)])
            day_date = day
    return days


def _punctuality(stretches, days, now, grace):
    """Working days ([[(begin, end)]] as ``_shift_days`` gives) an agent
    started late, left early or missed, from their ``stretches`` ([(kind,
    begin, end)], in order); epoch seconds.

    Late: first ready (available, in a call, wrap-up) within the day's
    shifts more than ``grace`` seconds after the first shift began, or not
    yet ready though that time has passed. Left early: the day is over, and
    last ready within its shifts more than ``grace`` seconds before the last
    one ended. Absent: the day is over without a moment ready in its shifts.
    Days whose start (plus ``grace``) is still to come are not judged.
    Returns ``(late, left early, absent)``."""
    ready = [(begin, end) for kind, begin, end in stretches if kind == "ready"]
    late = early = absent = 0
    first = 0
    for shifts in days:
        day_begin, day_end = shifts[0][0], shifts[-1][1]
        if day_begin + grace >= now:
            break
        while first < len(ready) and ready[first][1] <= day_begin:
            first += 1
        first_in = last_in = None
        index = first
        while index < len(ready) and ready[index][0] < day_end:
            begin, end = ready[index]
            for shift_begin, shift_end in shifts:
                if begin < shift_end and end > shift_begin:
                    inside = (max(begin, shift_begin), min(end, shift_end))
                    if first_in is None:
                        first_in = inside[0]
                    last_in = inside[1] if last_in is None else max(last_in, inside[1])
            index += 1
        over = day_end <= now
        if first_in is None:
            if over:
                absent += 1
            else:
                late += 1
            continue
        if first_in > day_begin + grace:
            late += 1
        if over and last_in < day_end - grace:
            early += 1
    return late, early, absent


# Calls listed on the live view (ringing and in progress), oldest first.
WALLBOARD_CALLS = 200
# Agents on the live view: busiest first.
PRESENCE_ORDER = {"in_call": 0, "wrap_up": 1, "available": 2, "away": 3, "offline": 4}


class CrmCallcenterCall(models.Model):
    _inherit = "crm.callcenter.call"

    @api.model
    def get_dashboard_data(
        self, date_from, date_to, groupby="agent", pending_limit=None
    ):
        """Figures of the manager dashboard over calls started from ``date_from``
        to ``date_to`` (inclusive ISO dates, in the user's time zone).

        Returns ``{"totals": {kpis}, "groups": [{"key", "label", "domain",
        **kpis}], "domain": [...], "service_level_seconds": [20],
        "pending": {"count", "calls": [...]}}``. Rates are fractions (0..1) or
        ``None`` without inbound calls; speeds and handle times are seconds.
        The call list stays within the record rules and the user's allowed
        companies, so the figures are those of the calls the user may read.
        """
        self._check_dashboard_access()
        if groupby not in DASHBOARD_GROUPBYS:
            raise UserError(
                self.env._("Unknown grouping: %(groupby)s", groupby=groupby)
            )
        tz_name = self._dashboard_tz()
        self = self.with_context(tz=tz_name)
        start, stop = self._dashboard_bounds(date_from, date_to, tz_name)
        domain = [
            ("started_at", ">=", fields.Datetime.to_string(start)),
            ("started_at", "<", fields.Datetime.to_string(stop)),
        ]
        spec = DASHBOARD_GROUPBYS[groupby]
        totals = self._dashboard_rows(domain)[0][1]
        groups = [
            {
                "key": self._dashboard_group_key(spec, value),
                "label": self._dashboard_group_label(spec, value),
                "domain": domain + self._dashboard_group_domain(spec, value, tz_name),
                **kpis,
            }
            for value, kpis in self._dashboard_rows(domain, spec)
        ]
        if groupby == "agent":
            self._dashboard_add_unanswered_rings(domain, groups, totals)
        adherence = self._dashboard_adherence(start, stop)
        if spec.startswith("started_at"):
            groups.sort(key=lambda group: group["key"])
        else:
            groups.sort(key=lambda group: (-group["calls"], group["label"]))
        companies = self.env.companies
        return {
            "date_from": fields.Date.to_string(fields.Date.to_date(date_from)),
            "date_to": fields.Date.to_string(fields.Date.to_date(date_to)),
            "groupby": groupby,
            "domain": domain,
            "service_level_seconds": sorted(
                set(companies.mapped("callcenter_service_level_seconds"))
            ),
            "short_abandon_seconds": sorted(
                set(companies.mapped("callcenter_short_abandon_seconds")) - {0}
            ),
            "callback_target_minutes": sorted(
                set(companies.mapped("callcenter_callback_target_minutes")) - {0}
            ),
            "vip_tags": any(
                self.env["res.company"]._callcenter_vip_tags(company.id)
                for company in companies
            ),
            "totals": totals,
            "groups": groups,
            "adherence": adherence,
            "pending": self._dashboard_pending(pending_limit or PENDING_LIMIT),
        }

    @api.model
    def get_wallboard_data(self):
        """What the call center does now, for the supervisors' live view
        (polled every few seconds): calls ringing and in progress, the
        agents with their presence and current call, and today's figures.

        Durations are seconds at the time of the answer (the browser adds
        the time since, whatever its clock). Within the record rules and the
        user's allowed companies, as the dashboard.
        """
        self._check_dashboard_access()
        tz_name = self._dashboard_tz()
        self = self.with_context(tz=tz_name)
        now = fields.Datetime.now()

        def since(moment):
            return max(0, int((now - moment).total_seconds())) if moment else None

        open_domain = [("state", "in", ("ringing", "answered"))]
        calls = self.search(open_domain, order="started_at, id", limit=WALLBOARD_CALLS)
        total_open = (
            self.search_count(open_domain)
            if len(calls) == WALLBOARD_CALLS
            else len(calls)
        )
        # Every open call of the agents (not only those listed), the
        # answered one first: the call an agent is on.
        agents = self._wallboard_agents()
        current = {}
        agent_calls = self.search(
            [*open_domain, ("user_id", "in", agents.ids)],
            order="answered_at desc nulls last, started_at desc, id desc",
        )
        for call in agent_calls:
            current.setdefault(call.user_id.id, call)

        def call_row(call):
            return {
                "id": call.id,
                "direction": call.direction,
                "state": call.state,
                "number": call._customer_label(),
                "name": (call.lead_id or call.partner_id).display_name
                or call.caller_name
                or "",
                "queue": call.queue or "",
                "agent": call.user_id.display_name or "",
                # Waiting while it rings, talking once answered.
                "seconds": since(call.answered_at or call.started_at),
            }

        presence_labels = dict(
            self.env["res.users"]
            ._fields["callcenter_presence"]
            ._description_selection(self.env)
        )
        agent_rows = [
            {
                "id": agent.id,
                "name": agent.display_name,
                "presence": agent.callcenter_presence,
                "presence_label": presence_labels.get(agent.callcenter_presence, ""),
                "away_reason": agent.callcenter_away_reason_id.name or "",
                "seconds": since(agent.callcenter_presence_since),
                "call": call_row(current[agent.id]) if agent.id in current else None,
            }
            for agent in agents
        ]
        agent_rows.sort(
            key=lambda row: (
                PRESENCE_ORDER.get(row["presence"], 9),
                -(row["seconds"] or 0),
                row["name"],
            )
        )
        # Oldest first: the longest wait is among the listed calls.
        waiting = calls.filtered(
            lambda c: c.state == "ringing" and c.direction == "inbound"
        )
        waiting_count = self.search_count(
            [("state", "=", "ringing"), ("direction", "=", "inbound")]
        )
        today = self._local_day_to_utc(
            fields.Datetime.context_timestamp(self, now).date(), tz_name
        )
        today_domain = [("started_at", ">=", fields.Datetime.to_string(today))]
        counts = dict.fromkeys(PRESENCE_ORDER, 0)
        for row in agent_rows:
            counts[row["presence"]] += 1
        return {
            "calls": [call_row(call) for call in calls],
            "calls_count": total_open,
            "waiting": waiting_count,
            "longest_wait": max((since(c.started_at) or 0 for c in waiting), default=0),
            "in_progress": self.search_count([("state", "=", "answered")]),
            "agents": agent_rows,
            "presence_counts": counts,
            "today": self._dashboard_rows(today_domain)[0][1],
            "today_domain": today_domain,
            "queues": self._wallboard_queues(today_domain, since),
            "service_level_seconds": sorted(
                set(self.env.companies.mapped("callcenter_service_level_seconds"))
            ),
        }

    @api.model
    def _wallboard_queues(self, today_domain, since):
        """Per queue the center reported: calls waiting now and the longest
        wait, calls in progress, and today's figures. Only the queues with a
        call now or today; the busiest first."""
        queued = [("queue", "!=", False)]
        waiting = {
            queue: (count, first)
            for queue, count, first in self._read_group(
                [*queued, ("state", "=", "ringing"), ("direction", "=", "inbound")],
                ["queue"],
                ["__count", "started_at:min"],
            )
        }
        talking = dict(
            self._read_group(
                [*queued, ("state", "=", "answered")], ["queue"], ["__count"]
            )
        )
        today = dict(self._dashboard_rows([*today_domain, *queued], "queue"))
        # Its calls now or of today (today_domain is one condition).
        (started_today,) = today_domain
        rows = []
        for queue in set(waiting) | set(talking) | set(today):
            count, first = waiting.get(queue, (0, None))
            figures = today.get(queue) or self._dashboard_kpis({})
            rows.append(
                {
                    "queue": queue,
                    "waiting": count,
                    "longest_wait": since(first),
                    "in_progress": talking.get(queue, 0),
                    "calls_in": figures["calls_in"],
                    "missed": figures["missed"],
                    "answer_rate": figures["answer_rate"],
                    "service_level": figures["service_level"],
                    "domain": [
                        "&",
                        ("queue", "=", queue),
                        "|",
                        ("state", "in", ["ringing", "answered"]),
                        started_today,
                    ],
                }
            )
        rows.sort(key=lambda row: (-row["waiting"], -row["in_progress"], row["queue"]))
        return rows

    @api.model
    def _wallboard_agents(self):
        """The call center agents of the user's allowed companies."""
        group = self.env.ref("crm_callcenter.crm_callcenter_group_agent")
        return self.env["res.users"].search(
            [
                ("all_group_ids", "in", group.ids),
                ("share", "=", False),
                ("company_ids", "in", self.env.companies.ids),
            ]
        )

    # ------------------------------------------------------------------
    # Dashboard helpers
    # ------------------------------------------------------------------

    def _check_dashboard_access(self):
        if self.env.su or self.env.user.has_group(
            "crm_callcenter.crm_callcenter_group_manager"
        ):
            return
        raise AccessError(
            self.env._("Only call center managers can see the call center dashboard.")
        )

    def _dashboard_tz(self):
        tz_name = self.env.context.get("tz") or self.env.user.tz
        return tz_name if tz_name in pytz.all_timezones_set else "UTC"

    @api.model
    def _dashboard_bounds(self, date_from, date_to, tz_name):
        """UTC start (inclusive) and stop (exclusive) of a range of local days."""
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        if not date_from or not date_to:
            raise UserError(self.env._("Choose the first and last day of the period."))
        if date_from > date_to:
            raise UserError(
                self.env._(
                    "The first day of the period must not be after its last day."
                )
            )
        return (
            self._local_day_to_utc(date_from, tz_name),
            self._local_day_to_utc(date_to + timedelta(days=1), tz_name),
        )

    @api.model
    def _local_day_to_utc(self, day, tz_name):
        if isinstance(day, datetime):
            day = day.date()
        local = pytz.timezone(tz_name).localize(datetime.combine(day, time.min))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _dashboard_kpi_terms(self, query):
        """(name, SQL aggregate) of the figures computed by the database."""

        def column(fname):
            return self._field_to_sql(self._table, fname, query)

        # Each call is measured against the threshold of its own company.
        company_alias = query.make_alias(self._table, "company_id")
        query.add_join(
            "JOIN",
            company_alias,
            "res_company",
            SQL("%s = %s", column("company_id"), SQL.identifier(company_alias, "id")),
        )
        Company = self.env["res.company"]
        threshold = Company._field_to_sql(
            company_alias, "callcenter_service_level_seconds", query
        )
        short_threshold = Company._field_to_sql(
            company_alias, "callcenter_short_abandon_seconds", query
        )
        # Call-backs against the company's target (minutes after the end).
        target = Company._field_to_sql(
            company_alias, "callcenter_callback_target_minutes", query
        )
        deadline = SQL(
            "COALESCE(%s, %s) + make_interval(mins => %s)",
            column("ended_at"),
            column("started_at"),
            target,
        )
        # The server's time, as the list of pending call-backs uses.
        overdue = SQL(
            "%s > 0 AND %s = 'pending' AND %s < %s",
            target,
            column("callback_state"),
            deadline,
            fields.Datetime.now(),
        )
        in_time = SQL(
            "%s > 0 AND %s = 'done' AND %s <= %s",
            target,
            column("callback_state"),
            column("called_back_at"),
            deadline,
        )
        called_back = SQL("%s > 0 AND %s = 'done'", target, column("callback_state"))
        inbound = SQL("%s = 'inbound'", column("direction"))
        # The rates are over the calls the center was offered: inbound, in
        # its opening hours, and not hung up on within the company's short
        # abandon time.
        out_of_hours = SQL("%s AND %s IS TRUE", inbound, column("out_of_hours"))
        in_hours = SQL("%s AND %s IS NOT TRUE", inbound, column("out_of_hours"))
        short = SQL(
            "%s AND %s AND %s > 0 AND %s < %s",
            in_hours,
            column("is_abandoned"),
            short_threshold,
            column("duration"),
            short_threshold,
        )
        answered = SQL("%s = 'answered'", column("outcome"))
        inbound_answered = SQL("%s AND %s", in_hours, answered)
        # VIP callers (the company's VIP tags on the call's contact, else its
        # lead's, or on that contact's company), offered as in the rates.
        vip = self._dashboard_vip_term(query, column)
        vip_offered = SQL(
            "%s AND %s AND NOT (%s)", in_hours, vip, SQL("COALESCE(%s, FALSE)", short)
        )
        # A call closed without its end event has no known talk time.
        end_lost = SQL("%s IS TRUE", column("end_inferred"))
        return [
            ("calls", SQL("COUNT(*)")),
            ("calls_in", SQL("COUNT(*) FILTER (WHERE %s)", inbound)),
            (
                "calls_out",
                SQL("COUNT(*) FILTER (WHERE %s = 'outbound')", column("direction")),
            ),
            ("answered", SQL("COUNT(*) FILTER (WHERE %s)", answered)),
            ("inbound_answered", SQL("COUNT(*) FILTER (WHERE %s)", inbound_answered)),
            ("missed", SQL("COUNT(*) FILTER (WHERE %s)", column("is_missed"))),
            (
                "abandoned",
                SQL(
                    "COUNT(*) FILTER (WHERE %s AND %s AND NOT (%s))",
                    in_hours,
                    column("is_abandoned"),
                    SQL("COALESCE(%s, FALSE)", short),
                ),
            ),
            ("short_abandoned", SQL("COUNT(*) FILTER (WHERE %s)", short)),
            ("out_of_hours", SQL("COUNT(*) FILTER (WHERE %s)", out_of_hours)),
            (
                "within_service_level",
                SQL(
                    "COUNT(*) FILTER (WHERE %s AND %s <= %s)",
                    inbound_answered,
                    column("answer_seconds"),
                    threshold,
                ),
            ),
            (
                "pending_callbacks",
                SQL("COUNT(*) FILTER (WHERE %s = 'pending')", column("callback_state")),
            ),
            (
                "avg_speed_of_answer",
                SQL(
                    "AVG(%s) FILTER (WHERE %s)",
                    column("answer_seconds"),
                    inbound_answered,
                ),
            ),
            (
                "avg_handle_time",
                SQL(
                    "AVG(%s) FILTER (WHERE %s AND NOT (%s))",
                    column("billsec"),
                    answered,
                    end_lost,
                ),
            ),
            ("ends_lost", SQL("COUNT(*) FILTER (WHERE %s)", end_lost)),
            ("callbacks_in_time", SQL("COUNT(*) FILTER (WHERE %s)", in_time)),
            # Decided: called back, or not and past the target already.
            (
                "callbacks_due",
                SQL("COUNT(*) FILTER (WHERE (%s) OR (%s))", called_back, overdue),
            ),
            ("callbacks_overdue", SQL("COUNT(*) FILTER (WHERE %s)", overdue)),
            ("vip_offered", SQL("COUNT(*) FILTER (WHERE %s)", vip_offered)),
            (
                "vip_answered",
                SQL("COUNT(*) FILTER (WHERE %s AND %s)", vip_offered, answered),
            ),
            (
                "vip_within_service_level",
                SQL(
                    "COUNT(*) FILTER (WHERE %s AND %s AND %s <= %s)",
                    vip_offered,
                    answered,
                    column("answer_seconds"),
                    threshold,
                ),
            ),
            (
                "transferred",
                SQL(
                    "COUNT(*) FILTER (WHERE %s AND %s > 0)",
                    answered,
                    column("transfer_count"),
                ),
            ),
            # The callers' post-call survey scores (1-5; 4 and 5 satisfied).
            ("rated", SQL("COUNT(*) FILTER (WHERE %s > 0)", column("satisfaction"))),
            (
                "satisfied",
                SQL(
                    "COUNT(*) FILTER (WHERE %s >= %s)",
                    column("satisfaction"),
                    SATISFIED_SCORE,
                ),
            ),
            (
                "avg_satisfaction",
                SQL(
                    "AVG(%s) FILTER (WHERE %s > 0)",
                    column("satisfaction"),
                    column("satisfaction"),
                ),
            ),
        ]

    @api.model
    def _dashboard_adherence(self, start, stop):
        """Schedule adherence over [``start``, ``stop``) (naive UTC) up to
        now, per agent: the hours of their shifts (their *Call Center
        Shifts*, else their company's working hours, public holidays
        excepted), and within them the hours signed in, ready to take calls
        (available, in a call, wrap-up) and away; the hours signed in outside
        them; adherence = ready / scheduled.

        Punctuality, per working day of the shifts (see ``_punctuality``):
        the days started late, left early and missed, by the grace of the
        agent's company (*Punctuality*).

        Agents: the users of the allowed companies with an extension, and
        whoever has presence history in the period. Worst adherence first.
        """
        now = fields.Datetime.now()
        period_stop = stop
        stop = min(stop, now)
        if stop <= start:
            return []
        # One query: each agent's time ready (available, in a call, wrap-up)
        # and away, consecutive stretches of one kind merged (a call makes
        # three: in a call, wrap-up, available), clipped to the period, in
        # order, as epoch seconds. A month of a large center is hundreds of
        # thousands of stretches: PostgreSQL merges them, Python sweeps what
        # is left once.
        self.env["crm.callcenter.presence.log"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH stretch AS (
                    SELECT log.id, log.user_id,
                           CASE WHEN log.presence IN %(ready)s THEN 'ready'
                                ELSE 'away' END AS kind,
                           GREATEST(log.date_start, %(start)s) AS begin_at,
                           LEAST(COALESCE(log.date_end, %(stop)s), %(stop)s)
                               AS end_at
                      FROM crm_callcenter_presence_log log
                     WHERE log.date_start < %(stop)s
                       AND (log.date_end IS NULL OR log.date_end > %(start)s)
                       AND log.presence IN %(signed_in)s
                       AND EXISTS (
                           SELECT 1 FROM res_company_users_rel rel
                            WHERE rel.user_id = log.user_id
                              AND rel.cid = ANY(%(companies)s))
                ), flagged AS (
                    SELECT *,
                           CASE WHEN LAG(end_at) OVER w = begin_at
                                 AND LAG(kind) OVER w = kind THEN 0 ELSE 1 END
                               AS starts_island
                      FROM stretch
                    WINDOW w AS (PARTITION BY user_id ORDER BY begin_at, id)
                ), numbered AS (
                    SELECT *,
                           SUM(starts_island) OVER (
                               PARTITION BY user_id ORDER BY begin_at, id
                               ROWS UNBOUNDED PRECEDING) AS island
                      FROM flagged
                )
                SELECT user_id, kind, EXTRACT(EPOCH FROM MIN(begin_at)),
                       EXTRACT(EPOCH FROM MAX(end_at))
                  FROM numbered
                 GROUP BY user_id, kind, island
                 ORDER BY user_id, MIN(begin_at)
                """,
                ready=READY_PRESENCES,
                signed_in=(*READY_PRESENCES, "away"),
                start=start,
                stop=stop,
                companies=self.env.companies.ids,
            )
        )
        stretches = defaultdict(list)
        for user_id, kind, begin, end in self.env.cr.fetchall():
            stretches[user_id].append((kind, float(begin), float(end)))
        users = self.env["res.users"].sudo().browse(stretches)
        users |= (
            self.env["crm.callcenter.extension"]
            .sudo()
            .search([("user_id.company_ids", "in", self.env.companies.ids)])
            .user_id
        )
        users = users.filtered("active")
        utc = pytz.utc
        # The whole of today's shifts: whether a day is over, and how it ends.
        start_utc, stop_utc = utc.localize(start), utc.localize(period_stop)
        now_epoch = utc.localize(now).timestamp()
        schedules = {}
        rows = []
        for user in users:
            calendar = (
                user.callcenter_calendar_id or user.company_id.resource_calendar_id
            )
            if calendar not in schedules:
                intervals = (
                    calendar._work_intervals_batch(start_utc, stop_utc)[False]
                    if calendar
                    else ()
                )
                # (begin, end, local date): the intervals are in the
                # calendar's time zone.
                intervals = [
                    (begin.timestamp(), end.timestamp(), begin.date())
                    for begin, end, _r in intervals
                ]
                schedules[calendar] = (
                    [
                        (begin, min(end, now_epoch))
                        for begin, end, _day in intervals
                        if begin < now_epoch
                    ],
                    _shift_days(intervals),
                )
            shifts, days = schedules[calendar]
            within, outside = _presence_overlap(stretches[user.id], shifts)
            late, early, absent = _punctuality(
                stretches[user.id],
                days,
                now_epoch,
                user.company_id.callcenter_late_grace_minutes * 60,
            )
            scheduled = sum(end - begin for begin, end in shifts) / 3600.0
            ready = within["ready"] / 3600.0
            rows.append(
                {
                    "user_id": user.id,
                    "name": user.name,
                    "calendar": calendar.name or "",
                    "scheduled_hours": scheduled,
                    "signed_in_hours": sum(within.values()) / 3600.0,
                    "ready_hours": ready,
                    "away_hours": within["away"] / 3600.0,
                    "outside_hours": outside / 3600.0,
                    "adherence": ready / scheduled if scheduled else None,
                    "late_days": late,
                    "early_days": early,
                    "absent_days": absent,
                }
            )
        rows.sort(
            key=lambda row: (
                row["adherence"] is None,
                row["adherence"] or 0.0,
                row["name"],
            )
        )
        return rows

    @api.model
    def _dashboard_vip_term(self, query, column):
        """SQL: the call's caller is a VIP of the call's company (see
        ``vip``); FALSE when none of the user's companies has VIP tags."""
        Company = self.env["res.company"]
        if not any(Company._callcenter_vip_tags(c.id) for c in self.env.companies):
            return SQL("FALSE")
        partner = SQL(
            "COALESCE(%s, (SELECT lead.partner_id FROM crm_lead lead"
            " WHERE lead.id = %s))",
            column("partner_id"),
            column("lead_id"),
        )
        return SQL(
            """EXISTS (
                SELECT 1
                  FROM res_company_callcenter_vip_tag_rel vip_tag
                  JOIN res_partner_res_partner_category_rel tagged
                    ON tagged.category_id = vip_tag.category_id
                 WHERE vip_tag.company_id = %(company)s
                   AND tagged.partner_id IN (
                       %(partner)s,
                       (SELECT commercial.commercial_partner_id
                          FROM res_partner commercial
                         WHERE commercial.id = %(partner)s)))""",
            company=column("company_id"),
            partner=partner,
        )

    @api.model
    def _dashboard_rows(self, domain, groupby_spec=None):
        """[(group value, kpis)] in one query; one row of totals without groupby."""
        query = self._search(domain)
        if query.is_empty():
            return [] if groupby_spec else [(None, self._dashboard_kpis({}))]
        terms = self._dashboard_kpi_terms(query)
        select = [SQL("%s AS %s", term, SQL.identifier(name)) for name, term in terms]
        if groupby_spec:
            group_term = self._read_group_groupby(self._table, groupby_spec, query)
            query.groupby = group_term
            select.insert(0, SQL("%s AS __group", group_term))
        rows = self.env.execute_query_dict(query.select(*select))
        if not groupby_spec:
            return [(None, self._dashboard_kpis(rows[0]))]
        values = self._read_group_postprocess_groupby(
            groupby_spec, [row["__group"] for row in rows]
        )
        return [
            (value, self._dashboard_kpis(row))
            for value, row in zip(values, rows, strict=True)
        ]

    @api.model
    def _dashboard_kpis(self, row):
        """Counts from the database, rates and averages derived from them."""
        counts = (
            "calls",
            "calls_in",
            "calls_out",
            "answered",
            "inbound_answered",
            "missed",
            "abandoned",
            "short_abandoned",
            "out_of_hours",
            "within_service_level",
            "pending_callbacks",
            "ends_lost",
            "transferred",
            "callbacks_in_time",
            "callbacks_due",
            "callbacks_overdue",
            "vip_offered",
            "vip_answered",
            "vip_within_service_level",
            "rated",
            "satisfied",
        )
        kpis = {name: row.get(name) or 0 for name in counts}
        # The calls the center was offered: short abandons and calls out of
        # its opening hours left out.
        inbound = kpis["calls_in"] - kpis["short_abandoned"] - kpis["out_of_hours"]

        def rate(count):
            return count / inbound if inbound else None

        def seconds(value):
            return round(float(value), 1) if value is not None else None

        kpis.update(
            answer_rate=rate(kpis["inbound_answered"]),
            abandonment_rate=rate(kpis["abandoned"]),
            service_level=rate(kpis["within_service_level"]),
            transfer_rate=(
                kpis["transferred"] / kpis["answered"] if kpis["answered"] else None
            ),
            callback_in_time_rate=(
                kpis["callbacks_in_time"] / kpis["callbacks_due"]
                if kpis["callbacks_due"]
                else None
            ),
            vip_answer_rate=(
                kpis["vip_answered"] / kpis["vip_offered"]
                if kpis["vip_offered"]
                else None
            ),
            vip_service_level=(
                kpis["vip_within_service_level"] / kpis["vip_offered"]
                if kpis["vip_offered"]
                else None
            ),
            satisfaction_rate=(
                kpis["satisfied"] / kpis["rated"] if kpis["rated"] else None
            ),
            avg_satisfaction=(
                round(float(row["avg_satisfaction"]), 2)
                if row.get("avg_satisfaction") is not None
                else None
            ),
            avg_speed_of_answer=seconds(row.get("avg_speed_of_answer")),
            avg_handle_time=seconds(row.get("avg_handle_time")),
        )
        return kpis

    @api.model
    def _dashboard_add_unanswered_rings(self, domain, groups, totals):
        """Per agent, the calls that rang for them and that they did not
        answer (``rang_unanswered``): their own missed calls, and the calls
        of a ring group or queue that someone else answered or nobody did
        (those they are listed in *Also Rang For*). Agents only ever rung in
        the period get a row of their own."""
        query = self._search(domain)
        rung = {}
        if not query.is_empty():
            self.env.cr.execute(
                SQL(
                    """
                    SELECT rel.user_id, COUNT(*)
                      FROM crm_callcenter_call_ringing_user_rel rel
                     WHERE rel.call_id IN %s
                     GROUP BY rel.user_id
                    """,
                    query.subselect(),
                )
            )
            rung = dict(self.env.cr.fetchall())
        for group in groups:
            # No agent: calls that rang for nobody (an IVR, a closed line).
            group["rang_unanswered"] = (
                group["missed"] + rung.pop(group["key"], 0) if group["key"] else None
            )
        for user in self.env["res.users"].browse(rung).exists():
            groups.append(
                {
                    "key": user.id,
                    "label": user.display_name,
                    "domain": [*domain, ("ringing_user_ids", "in", user.id)],
                    **self._dashboard_kpis({}),
                    "rang_unanswered": rung[user.id],
                }
            )
        totals["rang_unanswered"] = sum(
            group["rang_unanswered"] or 0 for group in groups
        )

    @api.model
    def _dashboard_group_key(self, spec, value):
        if isinstance(value, models.BaseModel):
            return value.id
        if isinstance(value, (date, datetime)):
            return fields.Date.to_string(value)
        return value or False

    @api.model
    def _dashboard_group_label(self, spec, value):
        if isinstance(value, models.BaseModel):
            if value:
                return value.display_name
            return (
                self.env._("No Team") if spec == "team_id" else self.env._("No Agent")
            )
        if spec == "started_at:day":
            return format_date(self.env, value)
        if spec == "started_at:week":
            return self.env._("Week of %(date)s", date=format_date(self.env, value))
        return value or self.env._("No Queue")

    @api.model
    def _dashboard_group_domain(self, spec, value, tz_name):
        if spec.startswith("started_at"):
            day = value.date() if isinstance(value, datetime) else value
            length = timedelta(days=7 if spec.endswith(":week") else 1)
            start = self._local_day_to_utc(day, tz_name)
            stop = self._local_day_to_utc(day + length, tz_name)
            return [
                ("started_at", ">=", fields.Datetime.to_string(start)),
                ("started_at", "<", fields.Datetime.to_string(stop)),
            ]
        if isinstance(value, models.BaseModel):
            return [(spec, "=", value.id or False)]
        return [(spec, "=", value or False)]

    @api.model
    def _dashboard_pending(self, limit):
        """Missed inbound calls still to call back, of any date, oldest first."""
        domain = [("direction", "=", "inbound"), ("callback_state", "=", "pending")]
        calls = self.search(domain, order="ended_at, id", limit=limit)
        now = fields.Datetime.now()

        # Per company with a call-back target: calls that ended before this
        # are overdue.
        cutoffs = {
            company.id: now
            - timedelta(minutes=company.callcenter_callback_target_minutes)
            for company in self.env.companies
            if company.callcenter_callback_target_minutes
        }
        overdue = sum(
            self.search_count(
                [*domain, ("company_id", "=", company_id), ("ended_at", "<", cutoff)]
            )
            for company_id, cutoff in cutoffs.items()
        )

        def is_overdue(call):
            cutoff = cutoffs.get(call.company_id.id)
            return bool(cutoff and call.ended_at and call.ended_at < cutoff)

        return {
            "count": self.search_count(domain) if len(calls) == limit else len(calls),
            "overdue": overdue,
            "domain": domain,
            "calls": [
                {
                    "id": call.id,
                    "name": call.display_name,
                    "number": call._customer_label(),
                    "agent": call.user_id.display_name or "",
                    "team": call.team_id.display_name or "",
                    "queue": call.queue or "",
                    "ended_at": fields.Datetime.to_string(call.ended_at),
                    "age_seconds": int((now - call.ended_at).total_seconds())
                    if call.ended_at
                    else None,
                    "overdue": is_overdue(call),
                }
                for call in calls
            ],
        }
