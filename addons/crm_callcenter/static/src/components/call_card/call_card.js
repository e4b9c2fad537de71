import { Component, onWillUnmount, useState } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

const { DateTime } = luxon;

export function outcomeLabel(outcome) {
    const labels = {
        answered: _t("Answered"),
        missed: _t("Missed"),
        busy: _t("Busy"),
        no_answer: _t("No Answer"),
        cancelled: _t("Cancelled"),
        failed: _t("Failed"),
        voicemail: _t("Voicemail"),
    };
    return labels[outcome] || outcome || "";
}

export function callStateLabel(call) {
    if (call.state === "ringing") {
        return _t("Ringing");
    }
    if (call.state === "answered") {
        return _t("In Progress");
    }
    if (call.outcome) {
        return _t("Ended: %(outcome)s", { outcome: outcomeLabel(call.outcome) });
    }
    return _t("Ended");
}

/** The caller's number as the agent reads it: a hidden one says so. */
export function callNumberLabel(call) {
    return call.number_hidden ? _t("Hidden number") : call.number;
}

/** Seconds since a UTC server datetime string, as m:ss or h:mm:ss. */
function elapsedSince(serverDatetime) {
    const start = deserializeDateTime(serverDatetime);
    const seconds = Math.max(Math.floor(DateTime.now().diff(start).as("seconds")), 0);
    return luxon.Duration.fromObject({ seconds }).toFormat(seconds >= 3600 ? "h:mm:ss" : "m:ss");
}

export class CallCard extends Component {
    static template = "crm_callcenter.CallCard";
    static props = { callId: Number };

    setup() {
        this.callcenter = useService("crm_callcenter");
        this.state = useState(this.callcenter.state);
        this.ui = useState({ busy: false, now: Date.now() });
        // Re-render every second for the call's timer.
        const interval = browser.setInterval(() => (this.ui.now = Date.now()), 1000);
        onWillUnmount(() => browser.clearInterval(interval));
    }

    get call() {
        return this.state.calls[this.props.callId];
    }

    get stateLabel() {
        return callStateLabel(this.call);
    }

    get numberLabel() {
        return callNumberLabel(this.call);
    }

    get directionLabel() {
        return this.call.direction === "outbound" ? _t("Outgoing call") : _t("Incoming call");
    }

    get timer() {
        // Reading ui.now subscribes the template to the ticking clock.
        void this.ui.now;
        const { state, answered_at, started_at } = this.call;
        if (state === "answered" && answered_at) {
            return elapsedSince(answered_at);
        }
        if (state === "ringing" && started_at) {
            return elapsedSince(started_at);
        }
        return "";
    }

    get showChooser() {
        return (this.call.candidates || []).length > 1;
    }

    isChosen(candidate) {
        const chosen = candidate.model === "crm.lead" ? this.call.lead : this.call.partner;
        return Boolean(chosen && chosen.id === candidate.id);
    }

    candidateTypeLabel(candidate) {
        return candidate.model === "crm.lead" ? _t("Lead") : _t("Contact");
    }

    async run(method, ...args) {
        if (this.ui.busy) {
            return;
        }
        this.ui.busy = true;
        try {
            await this.callcenter[method](this.props.callId, ...args);
        } finally {
            this.ui.busy = false;
        }
    }

    onChoose(candidate) {
        return this.run("chooseRecord", candidate.model, candidate.id);
    }

    onOpen() {
        return this.run("openRecord");
    }

    onCreateLead() {
        return this.run("createLead");
    }

    onLogCall() {
        return this.run("logCall");
    }

    get canCallBack() {
        return Boolean(
            this.state.canClickToCall && this.call.state === "ended" && this.call.number
        );
    }

    onCallBack() {
        return this.run("callBack");
    }

    onClose() {
        this.callcenter.dismissCard(this.props.callId);
    }
}

/** Stack of the visible call cards, bottom-right over the web client. */
export class CallCardContainer extends Component {
    static template = "crm_callcenter.CallCardContainer";
    static components = { CallCard };
    static props = {};

    setup() {
        this.state = useState(useService("crm_callcenter").state);
    }

    get visibleCallIds() {
        return Object.values(this.state.calls)
            .filter((call) => call.showCard)
            .map((call) => call.call_id)
            .sort((a, b) => a - b);
    }
}

registry.category("main_components").add("crm_callcenter.CallCardContainer", {
    Component: CallCardContainer,
});
