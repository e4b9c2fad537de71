import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime, serializeDateTime } from "@web/core/l10n/dates";
import { RPCError } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

const TARGET_MODEL = "crm.telesales.target";
const { DateTime } = luxon;

/**
 * "Next call": the agent's telesales workspace. The server hands out the
 * target (crm.telesales.target.telesales_next, locked so no other agent
 * gets it); the agent reads the customer's data and history, then calls
 * (through the call center service, so the call card pops as for any
 * click-to-call), rejects with a reason or reschedules; after the call,
 * the wrap-up logs a disposition from the campaign's list.
 */
export class TelesalesWorkspace extends Component {
    static template = "crm_telesales.Workspace";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.callcenter = useService("crm_callcenter");
        this.busService = useService("bus_service");
        this.state = useState({
            loading: false,
            target: false,
            campaigns: [],
            empty: false,
            rejectReason: "",
            rescheduleAt: "",
            dispositionId: "",
            note: "",
            callbackAt: "",
        });
        this.onTargetPayload = (payload) => {
            if (!this.state.target || payload.target_id === this.state.target.id) {
                this.load("telesales_current");
            }
        };
        this.onCallPayload = (payload) => {
            const lastCall = this.state.target && this.state.target.last_call;
            if (lastCall && lastCall.id === payload.call_id && lastCall.state !== payload.state) {
                this.load("telesales_current", { keepTarget: true });
            }
        };
        onWillStart(() => this.load("telesales_current"));
        onMounted(() => {
            this.busService.subscribe("crm_telesales/target", this.onTargetPayload);
            this.busService.subscribe("crm_callcenter/call", this.onCallPayload);
        });
        onWillUnmount(() => {
            this.busService.unsubscribe("crm_telesales/target", this.onTargetPayload);
            this.busService.unsubscribe("crm_callcenter/call", this.onCallPayload);
        });
    }

    get target() {
        return this.state.target;
    }

    get canWrapUp() {
        const call = this.target && this.target.last_call;
        return Boolean(call) && !call.logged && !this.target.can_preview;
    }

    formatDate(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "";
    }

    resetForm() {
        Object.assign(this.state, {
            rejectReason: "",
            rescheduleAt: "",
            dispositionId: "",
            note: "",
            callbackAt: "",
        });
    }

    async load(method, { keepTarget = false } = {}) {
        this.state.loading = true;
        try {
            const data = await this.orm.call(TARGET_MODEL, method, []);
            if (!keepTarget || data.target) {
                if (!this.state.target || !data.target || data.target.id !== this.state.target.id) {
                    this.resetForm();
                }
                this.state.target = data.target;
            }
            this.state.campaigns = data.campaigns;
            this.state.empty = method === "telesales_next" && !data.target;
        } finally {
            this.state.loading = false;
        }
    }

    async next() {
        await this.load("telesales_next");
    }

    /** Runs a target action; a refused one (UserError) is shown, not thrown. */
    async act(method, args) {
        try {
            await this.orm.call(TARGET_MODEL, method, [[this.target.id], ...args]);
        } catch (error) {
            if (error instanceof RPCError && error.exceptionName === "odoo.exceptions.UserError") {
                this.notification.add(error.data.message, { type: "danger" });
                return false;
            }
            throw error;
        }
        return true;
    }

    toServerDateTime(value) {
        return value ? serializeDateTime(DateTime.fromISO(value)) : false;
    }

    async continueCall() {
        const result = await this.callcenter.clickToCall(this.target.phone, {
            resModel: TARGET_MODEL,
            resId: this.target.id,
        });
        if (result.status === "calling") {
            await this.load("telesales_current", { keepTarget: true });
        }
    }

    async reject() {
        if (await this.act("action_telesales_reject", [this.state.rejectReason])) {
            this.notification.add(_t("Rejected."), { type: "info" });
            await this.next();
        }
    }

    async reschedule() {
        const when = this.toServerDateTime(this.state.rescheduleAt);
        if (await this.act("action_telesales_reschedule", [when])) {
            this.notification.add(_t("Rescheduled."), { type: "info" });
            await this.next();
        }
    }

    async wrapUp() {
        const dispositionId = parseInt(this.state.dispositionId);
        if (!dispositionId) {
            this.notification.add(_t("Choose a disposition."), { type: "warning" });
            return;
        }
        const done = await this.act("action_telesales_wrap_up", [
            dispositionId,
            this.state.note || false,
            this.toServerDateTime(this.state.callbackAt),
        ]);
        if (done) {
            this.notification.add(_t("Call wrapped up."), { type: "success" });
            this.state.target = false;
            this.resetForm();
            await this.load("telesales_current");
        }
    }

    openRecord(model, id) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: model,
            res_id: id,
            views: [[false, "form"]],
            target: "new",
        });
    }
}

registry.category("actions").add("crm_telesales.workspace", TelesalesWorkspace);
