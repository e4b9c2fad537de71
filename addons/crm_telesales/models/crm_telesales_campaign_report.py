from collections import defaultdict
from datetime import date, datetime, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import format_date, get_lang

# Dashboard grouping key -> read_group spec on crm.telesales.report
REPORT_GROUPBYS = {
    "campaign": "campaign_id",
    "agent": "user_id",
    "day": "date:day",
    "week": "date:week",
}
REPORT_AGGREGATES = [
    "__count",
    "answered:sum",
    "reached:sum",
    "success:sum",
    "abandoned:sum",
    "talk_seconds:sum",
    "wait_seconds:avg",
    "target_id:count_distinct",
]
# Presence that counts as logged in, and as working on calls.
LOGGED_OUT = "offline"
BUSY_PRESENCE = ("in_call", "wrap_up")


class CrmTelesalesCampaign(models.Model):
    _inherit = "crm.telesales.campaign"

    def action_open_dashboard(self):
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "crm_telesales.campaign_dashboard",
            "name": self.env._("Dashboard: %(name)s", name=self.name),
            "params": {"campaign_ids": self.ids},
        }

    def get_report_data(self, date_from, date_to, groupby="agent"):
        """Figures of these campaigns (all started ones when none is given) over
        calls started from ``date_from`` to ``date_to`` (inclusive ISO dates,
        in the user's time zone).

        ``groupby``: campaign, agent, day or week. Returns ``{"totals":
        {kpis}, "groups": [{"key", "label", "domain",
        **kpis}], "targets": [{"state", "label", "count"}], "domain"}``.
        Rates are fractions (0..1) or ``None`` when nothing to divide by;
        times are seconds; ``costs`` is ``[{"currency", "amount"}]`` (one per
        currency the calls were billed in). Occupancy and idle time come from
        the agents' presence over the same days, whatever they worked on.
        """
        if not self:
            # The Reporting menu: every campaign the manager may see that
            # has started (drafts have no call yet).
            self = self.search([("state", "!=", "draft")])
        self._check_report_access()
        if groupby not in REPORT_GROUPBYS:
            raise UserError(
                self.env._("Unknown grouping: %(groupby)s", groupby=groupby)
            )
        Call = self.env["crm.callcenter.call"]
        tz_name = Call._dashboard_tz()
        self = self.with_context(tz=tz_name)
        start, stop = Call._dashboard_bounds(date_from, date_to, tz_name)
        day_from, day_to = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        domain = [
            ("campaign_id", "in", self.ids),
            ("date", ">=", fields.Datetime.to_string(start)),
            ("date", "<", fields.Datetime.to_string(stop)),
        ]
        # The analysis is an SQL view over these: what this transaction
        # changed must be in the tables.
        for model in ("crm.callcenter.call", "crm.telesales.target"):
            self.env[model].flush_model()
        Report = self.env["crm.telesales.report"].with_context(tz=tz_name)
        spec = REPORT_GROUPBYS[groupby]

        agents = self.user_ids | self.team_id.member_ids
        called_by = Report._read_group(domain, ["user_id"])
        agents |= self.env["res.users"].union(*(user for (user,) in called_by))
        presence = self._report_presence(agents, day_from, day_to, tz_name)

        totals = self._report_kpis(Report._read_group(domain, [], REPORT_AGGREGATES)[0])
        totals["costs"] = self._report_costs(Report, domain)[None]
        totals.update(self._report_presence_kpis(presence.values()))

        sms_costs = self._report_sms_costs(start, stop)
        if sms_costs is not None:
            totals["sms_costs"] = self._merge_costs(sms_costs.values())
        costs = self._report_costs(Report, domain, spec)
        groups = []
        for value, *aggregates in Report._read_group(domain, [spec], REPORT_AGGREGATES):
            key = self._report_group_key(value)
            groups.append(
                {
                    "key": key,
                    "label": self._report_group_label(groupby, value),
                    "domain": domain
                    + self._report_group_domain(groupby, value, tz_name),
                    **self._report_kpis(aggregates),
                    "costs": costs[key],
                    **(
                        {"sms_costs": sms_costs.get(value.id, [])}
                        if groupby == "campaign" and sms_costs is not None
                        else {}
                    ),
                    **self._report_presence_kpis(
                        self._report_presence_of(groupby, key, presence)
                    ),
                }
            )
        # Agents (days, weeks) logged in without a call are the idlest: show
        # them too.
        seen = {group["key"] for group in groups}
        for value in self._report_presence_groups(groupby, agents, presence):
            key = self._report_group_key(value)
            kpis = self._report_presence_kpis(
                self._report_presence_of(groupby, key, presence)
            )
            if key not in seen and kpis["logged_seconds"]:
                seen.add(key)
                groups.append(
                    {
                        "key": key,
                        "label": self._report_group_label(groupby, value),
                        "domain": domain
                        + self._report_group_domain(groupby, value, tz_name),
                        **self._report_kpis([0] * len(REPORT_AGGREGATES)),
                        "costs": [],
                        **kpis,
                    }
                )
        if groupby in ("agent", "campaign"):
            groups.sort(key=lambda group: (-group["attempts"], group["label"]))
        else:
            groups.sort(key=lambda group: group["key"])
        return {
            "campaigns": [{"id": c.id, "name": c.display_name} for c in self],
            "date_from": fields.Date.to_string(day_from),
            "date_to": fields.Date.to_string(day_to),
            "groupby": groupby,
            "domain": domain,
            "totals": totals,
            "groups": groups,
            "targets": self._report_targets(),
        }

    # ------------------------------------------------------------------
    # Report helpers
    # ------------------------------------------------------------------

    def _check_report_access(self):
        if not (
            self.env.su
            or self.env.user.has_group("crm_callcenter.crm_callcenter_group_manager")
        ):
            raise AccessError(
                self.env._("Only call center managers can see campaign reports.")
            )
        self.check_access("read")

    @api.model
    def _report_kpis(self, aggregates):
        """Counts from the database, rates and averages derived from them."""
        attempts, answered, reached, success, abandoned, talk, wait, targets = (
            aggregates
        )
        attempts, answered, reached = attempts or 0, answered or 0, reached or 0
        success, abandoned, talk = success or 0, abandoned or 0, talk or 0
        targets = targets or 0
        return {
            "attempts": attempts,
            # The dialer's work: how many targets it took, how many tries each.
            "targets_called": targets,
            "attempts_per_target": round(attempts / targets, 2) if targets else None,
            "answered": answered,
            "reached": reached,
            "success": success,
            "abandoned": abandoned,
            "talk_seconds": talk,
            "avg_talk_seconds": round(talk / reached, 2) if reached else None,
            "avg_wait_seconds": round(float(wait), 2) if wait is not None else None,
            "reached_rate": reached / attempts if attempts else None,
            "success_rate": success / reached if reached else None,
            "abandonment_rate": abandoned / answered if answered else None,
        }

    def _report_costs(self, Report, domain, spec=None):
        """{group key: [{"currency", "amount"}]} (key None without grouping)."""
        groupby = [spec, "cost_currency_id"] if spec else ["cost_currency_id"]
        costs = defaultdict(list)
        for *value, currency, amount in Report._read_group(
            [*domain, ("cost_currency_id", "!=", False)], groupby, ["cost:sum"]
        ):
            key = self._report_group_key(value[0]) if spec else None
            costs[key].append(
                {
                    "currency": currency.name,
                    "symbol": currency.symbol,
                    "position": currency.position,
                    "amount": currency.round(amount),
                }
            )
        return costs

    def _report_sms_costs(self, start, stop):
        """``{campaign id: [{"currency", "amount"}]}`` of the SMS sent for
        these campaigns (by their UTM campaign) from ``start`` to ``stop``,
        when crm_callcenter_sms logs them; ``None`` without it."""
        if "crm.callcenter.sms.log" not in self.env:
            return None
        by_utm = {campaign.utm_campaign_id.id: campaign.id for campaign in self}
        # Managers read every log of their companies (checked above).
        Log = self.env["crm.callcenter.sms.log"].sudo()
        costs = defaultdict(list)
        for utm, currency, amount in Log._read_group(
            [
                ("campaign_id", "in", list(by_utm)),
                ("company_id", "in", self.env.companies.ids),
                ("sent_date", ">=", fields.Datetime.to_string(start)),
                ("sent_date", "<", fields.Datetime.to_string(stop)),
                ("currency_id", "!=", False),
            ],
            ["campaign_id", "currency_id"],
            ["cost:sum"],
        ):
            costs[by_utm[utm.id]].append(self._cost_dict(currency, amount))
        return costs

    @api.model
    def _cost_dict(self, currency, amount):
        return {
            "currency": currency.name,
            "symbol": currency.symbol,
            "position": currency.position,
            "amount": currency.round(amount),
        }

    @api.model
    def _merge_costs(self, cost_lists):
        """Sum ``[{"currency", "amount"}]`` lists per currency."""
        merged = {}
        for costs in cost_lists:
            for cost in costs:
                if cost["currency"] in merged:
                    merged[cost["currency"]]["amount"] += cost["amount"]
                else:
                    merged[cost["currency"]] = dict(cost)
        return list(merged.values())

    @api.model
    def _report_presence(self, users, day_from, day_to, tz_name):
        """{(user id, local day): {presence: seconds}} over the days, each
        stretch of presence cut at local midnights; the open stretch runs to
        now."""
        Call = self.env["crm.callcenter.call"]
        tz = pytz.timezone(tz_name)
        start = Call._local_day_to_utc(day_from, tz_name)
        stop = Call._local_day_to_utc(day_to + timedelta(days=1), tz_name)
        now = fields.Datetime.now()
        logs = self.env["crm.callcenter.presence.log"].search_fetch(
            [
                ("user_id", "in", users.ids),
                ("date_start", "<", stop),
                "|",
                ("date_end", "=", False),
                ("date_end", ">", start),
            ],
            ["user_id", "presence", "date_start", "date_end"],
        )
        seconds = defaultdict(lambda: defaultdict(float))
        for log in logs:
            begin = max(log.date_start, start)
            end = min(log.date_end or now, stop)
            while begin < end:
                day = pytz.utc.localize(begin).astimezone(tz).date()
                midnight = Call._local_day_to_utc(day + timedelta(days=1), tz_name)
                piece_end = min(end, midnight)
                seconds[(log.user_id.id, day)][log.presence] += (
                    piece_end - begin
                ).total_seconds()
                begin = piece_end
        return seconds

    def _report_presence_of(self, groupby, key, presence):
        """The presence stretches of one group (none for a campaign: an
        agent's presence is not split between the campaigns they work in)."""
        if groupby == "campaign":
            return []
        if groupby == "agent":
            return [by_state for (uid, _d), by_state in presence.items() if uid == key]
        if groupby == "day":
            return [
                by_state
                for (_u, day), by_state in presence.items()
                if fields.Date.to_string(day) == key
            ]
        return [
            by_state
            for (_u, day), by_state in presence.items()
            if fields.Date.to_string(self._report_week_start(day)) == key
        ]

    def _report_presence_groups(self, groupby, agents, presence):
        """Group values (agents, days, week starts) that have presence."""
        if groupby == "campaign":
            return []
        if groupby == "agent":
            return agents
        days = sorted({day for (_u, day) in presence})
        if groupby == "day":
            return days
        return sorted({self._report_week_start(day) for day in days})

    @api.model
    def _report_presence_kpis(self, stretches):
        total = defaultdict(float)
        for by_state in stretches:
            for state, secs in by_state.items():
                total[state] += secs
        logged = sum(secs for state, secs in total.items() if state != LOGGED_OUT)
        busy = sum(total[state] for state in BUSY_PRESENCE)
        return {
            "logged_seconds": round(logged),
            "busy_seconds": round(busy),
            "idle_seconds": round(total["available"]),
            "occupancy": busy / logged if logged else None,
        }

    def _report_week_start(self, day):
        first = int(get_lang(self.env).week_start)  # 1 = Monday ... 7 = Sunday
        return day - timedelta(days=(day.isoweekday() - first) % 7)

    @api.model
    def _report_group_key(self, value):
        if isinstance(value, models.BaseModel):
            return value.id
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return fields.Date.to_string(value)
        return value or False

    def _report_group_label(self, groupby, value):
        if groupby == "campaign":
            return value.display_name
        if groupby == "agent":
            return value.display_name if value else self.env._("No Agent")
        day = value.date() if isinstance(value, datetime) else value
        if groupby == "day":
            return format_date(self.env, day)
        return self.env._("Week of %(date)s", date=format_date(self.env, day))

    def _report_group_domain(self, groupby, value, tz_name):
        if groupby == "campaign":
            return [("campaign_id", "=", value.id)]
        if groupby == "agent":
            return [("user_id", "=", value.id or False)]
        Call = self.env["crm.callcenter.call"]
        day = value.date() if isinstance(value, datetime) else value
        length = timedelta(days=7 if groupby == "week" else 1)
        return [
            (
                "date",
                ">=",
                fields.Datetime.to_string(Call._local_day_to_utc(day, tz_name)),
            ),
            (
                "date",
                "<",
                fields.Datetime.to_string(
                    Call._local_day_to_utc(day + length, tz_name)
                ),
            ),
        ]

    def _report_targets(self):
        """Targets of the campaigns by state, in the states' order."""
        Target = self.env["crm.telesales.target"]
        counts = dict(
            Target._read_group(
                [("campaign_id", "in", self.ids)], ["state"], ["__count"]
            )
        )
        labels = dict(Target._fields["state"]._description_selection(self.env))
        return [
            {"state": state, "label": labels[state], "count": counts.get(state, 0)}
            for state in labels
        ]
