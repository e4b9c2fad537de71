import { Component, onWillStart, useState } from "@odoo/owl";
import { DateTimeInput } from "@web/core/datetime/datetime_input";
import { _t } from "@web/core/l10n/translation";
import {
    deserializeDate,
    deserializeDateTime,
    formatDateTime,
    formatDuration,
    serializeDate,
} from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { formatFloat, formatPercentage } from "@web/views/fields/formatters";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

const { DateTime } = luxon;

/**
 * Today in the user's time zone: the server reads the period in it, and the
 * browser's own day differs when its clock is in another zone.
 */
export function userToday() {
    const now = user.tz ? DateTime.now().setZone(user.tz) : DateTime.now();
    return DateTime.local(now.year, now.month, now.day);
}

export const GROUPBY_OPTIONS = [
    ["agent", _t("Agent")],
    ["team", _t("Sales Team")],
    ["queue", _t("Queue")],
    ["day", _t("Day")],
    ["week", _t("Week")],
];

/**
 * Seconds as "42 s" under a minute, else "m:ss" (call-center habit).
 */
export function formatSeconds(seconds) {
    if (seconds === null || seconds === undefined) {
        return "—";
    }
    const rounded = Math.round(seconds);
    if (rounded < 60) {
        return _t("%(seconds)s s", { seconds: rounded });
    }
    const minutes = Math.floor(rounded / 60);
    return `${minutes}:${String(rounded % 60).padStart(2, "0")}`;
}

/**
 * Hours as "h:mm".
 */
export function formatHours(hours) {
    if (hours === null || hours === undefined) {
        return "—";
    }
    const minutes = Math.round(hours * 60);
    return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}

export function formatRate(value) {
    return value === null || value === undefined
        ? "—"
        : formatPercentage(value, { digits: [false, 1] });
}

/**
 * Manager dashboard of the call center: KPIs over a date range, a table per
 * agent / team / queue / day / week, and the missed calls still to call back.
 * Everything is computed server side by crm.callcenter.call.get_dashboard_data.
 */
/**
 * What the call center and telesales dashboards share: a period of days
 * (from, to, or the last N days, in the user's time zone) and a grouping,
 * each change reloading the figures (``this.load()``).
 */
export class PeriodDashboard extends Component {
    async onDateFromChange(value) {
        if (!value) {
            return;
        }
        this.state.dateFrom = value;
        if (this.state.dateTo < value) {
            this.state.dateTo = value;
        }
        await this.load();
    }

    async onDateToChange(value) {
        if (!value) {
            return;
        }
        this.state.dateTo = value;
        if (this.state.dateFrom > value) {
            this.state.dateFrom = value;
        }
        await this.load();
    }

    async setPeriod(days) {
        this.state.dateTo = userToday();
        this.state.dateFrom = userToday().minus({ days: days - 1 });
        await this.load();
    }

    async onGroupbyChange(groupby) {
        this.state.groupby = groupby;
        await this.load();
    }
}

export class CallcenterDashboard extends PeriodDashboard {
    static template = "crm_callcenter.CallcenterDashboard";
    static components = { Layout, DateTimeInput };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.groupbyOptions = GROUPBY_OPTIONS;
        this.formatSeconds = formatSeconds;
        this.formatHours = formatHours;
        this.formatRate = formatRate;
        const saved = this.props.state || {};
        this.state = useState({
            dateFrom: saved.dateFrom ? deserializeDate(saved.dateFrom) : userToday().minus({ days: 6 }),
            dateTo: saved.dateTo ? deserializeDate(saved.dateTo) : userToday(),
            groupby: saved.groupby || "agent",
            showHelp: false,
            data: null,
        });
        useSetupAction({
            getLocalState: () => ({
                dateFrom: serializeDate(this.state.dateFrom),
                dateTo: serializeDate(this.state.dateTo),
                groupby: this.state.groupby,
            }),
        });
        onWillStart(() => this.load());
    }

    async load() {
        this.state.data = await this.orm.call("crm.callcenter.call", "get_dashboard_data", [
            serializeDate(this.state.dateFrom),
            serializeDate(this.state.dateTo),
            this.state.groupby,
        ]);
    }

    get totals() {
        return this.state.data.totals;
    }

    get serviceLevelLabel() {
        const thresholds = this.state.data.service_level_seconds.join(" / ");
        return _t("Service Level (≤ %(seconds)s s)", { seconds: thresholds });
    }

    get totalLabel() {
        return _t("Total");
    }

    get groupbyLabel() {
        return Object.fromEntries(GROUPBY_OPTIONS)[this.state.groupby];
    }

    get tiles() {
        const totals = this.totals;
        const pending = this.state.data.pending;
        const oldest = pending.calls[0];
        const tiles = [
            { name: "calls_in", label: _t("Calls In"), value: this.formatCount(totals.calls_in) },
            { name: "calls_out", label: _t("Calls Out"), value: this.formatCount(totals.calls_out) },
            { name: "answered", label: _t("Answered"), value: this.formatCount(totals.answered) },
            { name: "missed", label: _t("Missed"), value: this.formatCount(totals.missed) },
            { name: "answer_rate", label: _t("Answer Rate"), value: formatRate(totals.answer_rate) },
            {
                name: "avg_speed_of_answer",
                label: _t("Avg. Speed of Answer"),
                value: formatSeconds(totals.avg_speed_of_answer),
            },
            {
                name: "avg_handle_time",
                label: _t("Avg. Handle Time (talk)"),
                value: formatSeconds(totals.avg_handle_time),
            },
            {
                name: "abandonment_rate",
                label: _t("Abandonment Rate"),
                value: formatRate(totals.abandonment_rate),
            },
            { name: "service_level", label: this.serviceLevelLabel, value: formatRate(totals.service_level) },
            {
                name: "pending",
                label: _t("To Call Back (all dates)"),
                value: this.formatCount(pending.count),
                sub: this.pendingSub(pending, oldest),
            },
        ];
        const targets = this.state.data.callback_target_minutes;
        if (targets.length) {
            tiles.push({
                name: "callback_in_time",
                label: _t("Called Back in Time"),
                value: formatRate(totals.callback_in_time_rate),
                sub: _t("within %(minutes)s min of the missed call", {
                    minutes: targets.join(" / "),
                }),
                subMuted: true,
            });
        }
        if (this.state.data.vip_tags && totals.vip_offered) {
            tiles.push({
                name: "vip",
                label: _t("VIP Callers Answered"),
                value: formatRate(totals.vip_answer_rate),
                sub: _t("%(count)s calls · service level %(rate)s", {
                    count: this.formatCount(totals.vip_offered),
                    rate: formatRate(totals.vip_service_level),
                }),
                subMuted: true,
                onClick: () => this.openVip(),
            });
        }
        if (totals.rated) {
            tiles.push({
                name: "satisfaction",
                label: _t("Customer Satisfaction"),
                value: formatRate(totals.satisfaction_rate),
                sub: _t("%(count)s rated · average %(average)s / 5", {
                    count: this.formatCount(totals.rated),
                    average: formatFloat(totals.avg_satisfaction, { digits: [false, 1] }),
                }),
                subMuted: true,
                onClick: () => this.openRated(),
            });
        }
        if (totals.short_abandoned) {
            // Left out of the rates: say how many, and why.
            tiles.push({
                name: "short_abandoned",
                label: _t("Short Abandons"),
                value: this.formatCount(totals.short_abandoned),
                sub: _t("hung up within %(seconds)s s, not in the rates", {
                    seconds: this.state.data.short_abandon_seconds.join(" / "),
                }),
                // Information, not an alarm.
                subMuted: true,
            });
        }
        if (totals.out_of_hours) {
            tiles.push({
                name: "out_of_hours",
                label: _t("Out of Hours"),
                value: this.formatCount(totals.out_of_hours),
                sub: _t("inbound, center closed: not in the rates"),
                subMuted: true,
                onClick: () => this.openOutOfHours(),
            });
        }
        if (totals.transferred) {
            tiles.push({
                name: "transferred",
                label: _t("Transferred"),
                value: this.formatCount(totals.transferred),
                sub: _t("%(rate)s of answered calls", { rate: formatRate(totals.transfer_rate) }),
                subMuted: true,
                onClick: () => this.openTransferred(),
            });
        }
        if (totals.ends_lost) {
            // Calls closed without their end event: their figures are
            // partly guessed, and the center's events get lost.
            tiles.push({
                name: "ends_lost",
                label: _t("End Not Reported"),
                value: this.formatCount(totals.ends_lost),
                sub: _t("not in the handle time"),
                onClick: () => this.openEndsLost(),
            });
        }
        return tiles;
    }

    pendingSub(pending, oldest) {
        const age = oldest?.age_seconds
            ? _t("oldest: %(age)s", { age: this.formatAge(oldest.age_seconds) })
            : "";
        if (pending.overdue) {
            const overdue = _t("%(count)s overdue", { count: this.formatCount(pending.overdue) });
            return age ? `${overdue} · ${age}` : overdue;
        }
        return age;
    }

    formatCount(value) {
        return formatFloat(value || 0, { digits: [false, 0] });
    }

    formatAge(seconds) {
        return seconds === null || seconds === undefined ? "—" : formatDuration(seconds, true);
    }

    formatEndedAt(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "";
    }

    openCalls(domain, name) {
        return this.actionService.doAction({
            type: "ir.actions.act_window",
            name,
            res_model: "crm.callcenter.call",
            domain,
            views: [
                [false, "list"],
                [false, "form"],
            ],
            target: "current",
        });
    }

    openGroup(group) {
        return this.openCalls(group.domain, group.label);
    }

    openAll() {
        return this.openCalls(this.state.data.domain, _t("Calls"));
    }

    openOutOfHours() {
        return this.openCalls(
            [...this.state.data.domain, ["out_of_hours", "=", true]],
            _t("Out of Hours")
        );
    }

    openVip() {
        return this.openCalls(
            [...this.state.data.domain, ["direction", "=", "inbound"], ["vip", "=", true]],
            _t("VIP Callers")
        );
    }

    openRated() {
        return this.openCalls(
            [...this.state.data.domain, ["satisfaction", ">", 0]],
            _t("Rated by the Caller")
        );
    }

    openTransferred() {
        return this.openCalls(
            [...this.state.data.domain, ["outcome", "=", "answered"], ["transfer_count", ">", 0]],
            _t("Transferred")
        );
    }

    openEndsLost() {
        return this.openCalls(
            [...this.state.data.domain, ["end_inferred", "=", true]],
            _t("End Not Reported")
        );
    }

    openPending() {
        return this.openCalls(this.state.data.pending.domain, _t("To Call Back"));
    }

    openCall(call) {
        return this.actionService.doAction({
            type: "ir.actions.act_window",
            res_model: "crm.callcenter.call",
            res_id: call.id,
            views: [[false, "form"]],
            target: "current",
        });
    }
}

registry.category("actions").add("crm_callcenter.dashboard", CallcenterDashboard);
