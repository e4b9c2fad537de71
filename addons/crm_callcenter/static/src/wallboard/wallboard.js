import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { formatRate } from "../dashboard/callcenter_dashboard";

// Seconds between two reads of the server: what an agent does changes by
// the second, and each read is a few indexed queries.
export const REFRESH_SECONDS = 5;

/**
 * Minutes and seconds ("4:05"), hours past the hour ("1:04:05").
 */
export function formatClock(seconds) {
    if (seconds === null || seconds === undefined) {
        return "";
    }
    const total = Math.max(0, Math.floor(seconds));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const rest = String(total % 60).padStart(2, "0");
    return hours
        ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}`
        : `${minutes}:${rest}`;
}

/**
 * Live view of the call center for supervisors: calls ringing and in
 * progress, agents and their current call, today's figures. Reads
 * crm.callcenter.call.get_wallboard_data every few seconds; the clocks tick
 * in between.
 */
export class CallcenterWallboard extends Component {
    static template = "crm_callcenter.Wallboard";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.formatClock = formatClock;
        this.formatRate = formatRate;
        this.state = useState({ data: null, fetchedAt: 0, now: Date.now(), lost: false });
        onWillStart(() => this.load());
        // A tab in the background asks nothing; it catches up when shown.
        this.onVisibilityChange = () => {
            if (!document.hidden) {
                this.load();
            }
        };
        onMounted(() => {
            this.refreshTimer = setInterval(() => {
                if (!document.hidden) {
                    this.load();
                }
            }, REFRESH_SECONDS * 1000);
            this.clockTimer = setInterval(() => (this.state.now = Date.now()), 1000);
            document.addEventListener("visibilitychange", this.onVisibilityChange);
        });
        onWillUnmount(() => {
            clearInterval(this.refreshTimer);
            clearInterval(this.clockTimer);
            document.removeEventListener("visibilitychange", this.onVisibilityChange);
        });
    }

    async load() {
        if (this.loading) {
            return;
        }
        this.loading = true;
        try {
            const data = await this.orm.silent.call(
                "crm.callcenter.call",
                "get_wallboard_data",
                []
            );
            Object.assign(this.state, {
                data,
                fetchedAt: Date.now(),
                now: Date.now(),
                lost: false,
            });
        } catch (error) {
            if (!this.state.data) {
                throw error;
            }
            // Keep showing the last figures; say they are old.
            this.state.lost = true;
        } finally {
            this.loading = false;
        }
    }

    /** Seconds the server gave, plus the time since it gave them. */
    elapsed(seconds) {
        if (seconds === null || seconds === undefined) {
            return null;
        }
        return seconds + Math.max(0, (this.state.now - this.state.fetchedAt) / 1000);
    }

    get tiles() {
        const data = this.state.data;
        const counts = data.presence_counts;
        const today = data.today;
        const thresholds = data.service_level_seconds.join(" / ");
        return [
            {
                name: "waiting",
                label: _t("Waiting"),
                value: String(data.waiting),
                sub: data.waiting
                    ? _t("longest: %(time)s", {
                          time: formatClock(this.elapsed(data.longest_wait)),
                      })
                    : "",
                alert: data.waiting > 0,
            },
            { name: "in_progress", label: _t("In Progress"), value: String(data.in_progress) },
            { name: "available", label: _t("Available"), value: String(counts.available) },
            { name: "in_call", label: _t("In Call"), value: String(counts.in_call) },
            { name: "wrap_up", label: _t("Wrap-up"), value: String(counts.wrap_up) },
            { name: "away", label: _t("Away"), value: String(counts.away) },
            { name: "today_in", label: _t("Calls In Today"), value: String(today.calls_in) },
            { name: "today_missed", label: _t("Missed Today"), value: String(today.missed) },
            {
                name: "today_answer_rate",
                label: _t("Answer Rate Today"),
                value: formatRate(today.answer_rate),
            },
            {
                name: "today_service_level",
                label: _t("Service Level Today (≤ %(seconds)s s)", { seconds: thresholds }),
                value: formatRate(today.service_level),
            },
        ];
    }

    get activeAgents() {
        return this.state.data.agents.filter((agent) => agent.presence !== "offline");
    }

    get offlineCount() {
        return this.state.data.agents.length - this.activeAgents.length;
    }

    presenceClass(presence) {
        return {
            available: "text-bg-success",
            in_call: "text-bg-danger",
            wrap_up: "text-bg-warning",
            away: "text-bg-secondary",
        }[presence] || "text-bg-light";
    }

    callState(call) {
        if (call.state === "answered") {
            return _t("In progress");
        }
        return call.direction === "inbound" ? _t("Waiting") : _t("Dialing");
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

    openQueue(queue) {
        return this.actionService.doAction({
            type: "ir.actions.act_window",
            name: queue.queue,
            res_model: "crm.callcenter.call",
            domain: queue.domain,
            views: [
                [false, "list"],
                [false, "form"],
            ],
            target: "current",
        });
    }

    openToday() {
        return this.actionService.doAction({
            type: "ir.actions.act_window",
            name: _t("Today's Calls"),
            res_model: "crm.callcenter.call",
            domain: this.state.data.today_domain,
            views: [
                [false, "list"],
                [false, "form"],
            ],
            target: "current",
        });
    }
}

registry.category("actions").add("crm_callcenter.wallboard", CallcenterWallboard);
