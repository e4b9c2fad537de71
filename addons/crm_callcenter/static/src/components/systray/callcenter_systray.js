import { Component, useState } from "@odoo/owl";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { deserializeDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { callNumberLabel, callStateLabel } from "../call_card/call_card";
import { SETTABLE_PRESENCES } from "../../services/callcenter_service";

const PRESENCE_COLORS = {
    available: "success",
    in_call: "danger",
    wrap_up: "info",
    away: "warning",
    offline: "secondary",
};

export class CallcenterSystray extends Component {
    static template = "crm_callcenter.CallcenterSystray";
    static components = { Dropdown, DropdownItem };
    static props = {};

    setup() {
        this.callcenter = useService("crm_callcenter");
        this.state = useState(this.callcenter.state);
    }

    get calls() {
        return Object.values(this.state.calls).sort((a, b) => a.call_id - b.call_id);
    }

    get activeCount() {
        return this.calls.filter((call) => call.state !== "ended").length;
    }

    get presenceLabel() {
        const option = this.state.presenceOptions.find(([key]) => key === this.state.presence);
        const label = option ? option[1] : _t("Unknown");
        if (this.state.presence === "away" && this.state.awayReason) {
            return _t("%(presence)s: %(reason)s", {
                presence: label,
                reason: this.state.awayReason.name,
            });
        }
        return label;
    }

    /** "since 09:12", or "until 09:15" during wrap-up (local time). */
    get presenceTimeLabel() {
        const { presence, presenceSince, wrapupUntil } = this.state;
        const time = (value) =>
            deserializeDateTime(value).toLocaleString(luxon.DateTime.TIME_SIMPLE);
        if (presence === "wrap_up" && wrapupUntil) {
            return _t("until %(time)s", { time: time(wrapupUntil) });
        }
        return presenceSince ? _t("since %(time)s", { time: time(presenceSince) }) : "";
    }

    get title() {
        return _t("Call center: %(presence)s", { presence: this.presenceLabel });
    }

    presenceColor(presence) {
        return PRESENCE_COLORS[presence] || "secondary";
    }

    isSettable(presence) {
        return SETTABLE_PRESENCES.includes(presence);
    }

    callStateLabel(call) {
        return callStateLabel(call);
    }

    callNumberLabel(call) {
        return callNumberLabel(call);
    }

    onCallClicked(call) {
        this.callcenter.showCard(call.call_id);
    }

    onOpenRecord(call) {
        this.callcenter.showCard(call.call_id);
        return this.callcenter.openRecord(call.call_id);
    }

    onPresenceSelected(presence, awayReasonId = false) {
        return this.callcenter.setPresence(presence, awayReasonId);
    }

    isAwayFor(reasonId) {
        return this.state.presence === "away" && this.state.awayReason?.id === reasonId;
    }
}

registry
    .category("systray")
    .add("crm_callcenter.systray", { Component: CallcenterSystray }, { sequence: 90 });
