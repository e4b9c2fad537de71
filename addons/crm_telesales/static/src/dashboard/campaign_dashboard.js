import { onWillStart, useState } from "@odoo/owl";
import { DateTimeInput } from "@web/core/datetime/datetime_input";
import { _t } from "@web/core/l10n/translation";
import { deserializeDate, serializeDate } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { formatFloat } from "@web/views/fields/formatters";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import {
    formatRate,
    formatSeconds,
    PeriodDashboard,
    userToday,
} from "@crm_callcenter/dashboard/callcenter_dashboard";

export const GROUPBY_OPTIONS = [
    ["campaign", _t("Campaign")],
    ["agent", _t("Agent")],
    ["day", _t("Day")],
    ["week", _t("Week")],
];

/** Hours and minutes ("3 h 05") for times an agent spends over a day. */
export function formatHours(seconds) {
    if (seconds === null || seconds === undefined) {
        return "—";
    }
    const minutes = Math.round(seconds / 60);
    if (minutes < 60) {
        return _t("%(minutes)s min", { minutes });
    }
    return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")}`;
}

/** Amounts per currency: "12.40 USD + 0.50 EUR". */
export function formatCosts(costs) {
    if (!costs || !costs.length) {
        return "—";
    }
    return costs
        .map((cost) => `${formatFloat(cost.amount, { digits: [false, 2] })} ${cost.currency}`)
        .join(" + ");
}

/**
 * Dashboard of telesales campaigns: KPIs over a date range, a table per
 * agent / day / week, and the targets by status. Computed server side by
 * crm.telesales.campaign.get_report_data (all campaigns from the menu, one
 * from the campaign's Dashboard button).
 */
export class CampaignDashboard extends PeriodDashboard {
    static template = "crm_telesales.CampaignDashboard";
    static components = { Layout, DateTimeInput };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.groupbyOptions = GROUPBY_OPTIONS;
        this.formatRate = formatRate;
        this.formatSeconds = formatSeconds;
        this.formatHours = formatHours;
        this.formatCosts = formatCosts;
        const saved = this.props.state || {};
        this.campaignIds = this.props.action.params?.campaign_ids || [];
        this.state = useState({
            dateFrom: saved.dateFrom ? deserializeDate(saved.dateFrom) : userToday().minus({ days: 6 }),
            dateTo: saved.dateTo ? deserializeDate(saved.dateTo) : userToday(),
            // From the menu (every campaign): one row per campaign first.
            groupby: saved.groupby || (this.campaignIds.length ? "agent" : "campaign"),
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
        this.state.data = await this.orm.call("crm.telesales.campaign", "get_report_data", [
            this.campaignIds,
            serializeDate(this.state.dateFrom),
            serializeDate(this.state.dateTo),
            this.state.groupby,
        ]);
    }

    get totals() {
        return this.state.data.totals;
    }

    get groupbyLabel() {
        return Object.fromEntries(GROUPBY_OPTIONS)[this.state.groupby];
    }

    get tiles() {
        const t = this.totals;
        return [
            { name: "attempts", label: _t("Attempts"), value: this.formatCount(t.attempts) },
            {
                name: "targets_called",
                label: _t("Targets Called"),
                value: this.formatCount(t.targets_called),
                sub: t.attempts_per_target
                    ? _t("%(count)s attempts each", {
                          count: formatFloat(t.attempts_per_target, { digits: [false, 1] }),
                      })
                    : "",
            },
            { name: "reached_rate", label: _t("Reached"), value: formatRate(t.reached_rate) },
            { name: "success", label: _t("Successes"), value: this.formatCount(t.success) },
            { name: "success_rate", label: _t("Success Rate"), value: formatRate(t.success_rate) },
            { name: "talk", label: _t("Talk Time"), value: formatHours(t.talk_seconds) },
            { name: "wait", label: _t("Avg. Wait Before Answer"), value: formatSeconds(t.avg_wait_seconds) },
            { name: "abandonment_rate", label: _t("Abandonment Rate"), value: formatRate(t.abandonment_rate) },
            { name: "occupancy", label: _t("Agent Occupancy"), value: formatRate(t.occupancy) },
            { name: "idle", label: _t("Agent Idle Time"), value: formatHours(t.idle_seconds) },
            { name: "cost", label: _t("Cost"), value: formatCosts(t.costs) },
            ...(t.sms_costs
                ? [{ name: "sms_cost", label: _t("SMS Cost"), value: formatCosts(t.sms_costs) }]
                : []),
        ];
    }

    formatCount(value) {
        return formatFloat(value || 0, { digits: [false, 0] });
    }

    openCalls(domain, name) {
        return this.actionService.doAction({
            type: "ir.actions.act_window",
            name,
            res_model: "crm.telesales.report",
            domain,
            views: [
                [false, "list"],
                [false, "pivot"],
            ],
            target: "current",
        });
    }

    openTargets(state) {
        return this.actionService.doAction({
            type: "ir.actions.act_window",
            name: state.label,
            res_model: "crm.telesales.target",
            domain: [
                ["campaign_id", "in", this.state.data.campaigns.map((c) => c.id)],
                ["state", "=", state.state],
            ],
            views: [
                [false, "list"],
                [false, "form"],
            ],
            target: "current",
        });
    }
}

registry.category("actions").add("crm_telesales.campaign_dashboard", CampaignDashboard);
