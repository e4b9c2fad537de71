import { markRaw, reactive } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { ConfirmationDialog } from "@web/core/confirmation_dialog/confirmation_dialog";
import { RPCError } from "@web/core/network/rpc";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";

export const AGENT_GROUP = "crm_callcenter.crm_callcenter_group_agent";
export const CALL_MODEL = "crm.callcenter.call";
/** How long the card of an ended call stays up to show its outcome (ms). */
export const ENDED_CARD_DELAY = 8000;
/** Presences the agent sets; the server sets in_call and wrap_up itself. */
export const SETTABLE_PRESENCES = ["available", "away", "offline"];

/** Used until get_agent_state answers with the server's (translated) labels. */
function defaultPresenceOptions() {
    return [
        ["available", _t("Available")],
        ["in_call", _t("In Call")],
        ["wrap_up", _t("Wrap-up")],
        ["away", _t("Away")],
        ["offline", _t("Offline")],
    ];
}

/**
 * The agent's side of the call center: current calls (fed by the bus and, after
 * a reload, by get_agent_state), presence and the actions of the call card.
 *
 * state.calls maps call_id to the last payload of the call (see the backend
 * contract) plus two UI flags: `showCard` (false once the agent closed the
 * card of a call still going on) and `pinned` (the agent clicked "Log call":
 * the card of the ended call stays until closed).
 */
export class CallcenterService {
    constructor(env, services) {
        this.env = env;
        this.action = services.action;
        this.busService = services.bus_service;
        this.dialog = services.dialog;
        this.notification = services.notification;
        this.orm = services.orm;
        this.state = reactive({
            isAgent: false,
            ready: false,
            presence: false,
            presenceSince: false,
            wrapupUntil: false,
            // {id, name} while away for a reason the agent chose.
            awayReason: false,
            presenceOptions: defaultPresenceOptions(),
            // [[id, name]]: why an agent may be away (configured by managers).
            awayReasons: [],
            autoOpen: false,
            // The agent has an extension on a provider that can place calls:
            // phone links and Call buttons call through it.
            canClickToCall: false,
            placingCall: false,
            calls: {},
        });
        // Not reactive: bookkeeping the templates never show.
        this.webClientReady = false;
        this.removeTimers = new Map();
        this.autoOpened = new Set();
        this.closedIds = new Set();
    }

    start() {
        this.env.bus.addEventListener(
            "WEB_CLIENT_READY",
            () => (this.webClientReady = true),
            { once: true }
        );
        // Subscribe before the first RPC so that no payload sent meanwhile is lost.
        this.busService.subscribe("crm_callcenter/call", (payload) =>
            this.onCallPayload(payload)
        );
        this.busService.subscribe("crm_callcenter/presence", (payload) =>
            this.onPresencePayload(payload)
        );
        this.busService.start();
        // Not awaited: the web client must not wait for the call center to load.
        this.loaded = this.load();
    }

    async load() {
        this.state.isAgent = await user.hasGroup(AGENT_GROUP);
        if (!this.state.isAgent) {
            return;
        }
        const data = await this.orm.call(CALL_MODEL, "get_agent_state", []);
        this.applyPresence(data);
        if (data.presence_options?.length) {
            this.state.presenceOptions = data.presence_options;
        }
        this.state.awayReasons = data.away_reasons || [];
        this.state.autoOpen = Boolean(data.auto_open);
        this.state.canClickToCall = Boolean(data.can_click_to_call);
        for (const payload of data.calls || []) {
            // A bus payload received while loading is at least as recent.
            if (payload.call_id in this.state.calls || this.closedIds.has(payload.call_id)) {
                continue;
            }
            if (payload.state === "answered") {
                // Answered before this page was loaded: it was opened back then.
                this.autoOpened.add(payload.call_id);
            }
            this.onCallPayload(payload);
        }
        this.state.ready = true;
    }

    // -------------------------------------------------------------------------
    // Bus
    // -------------------------------------------------------------------------

    onCallPayload(payload) {
        const callId = payload.call_id;
        if (!callId) {
            return;
        }
        if (payload.closed) {
            // Another agent took the call: it is not this agent's any more.
            this.closedIds.add(callId);
            this.removeCall(callId);
            return;
        }
        this.closedIds.delete(callId);
        this.state.autoOpen = Boolean(payload.auto_open);
        const call = this.state.calls[callId];
        if (call) {
            Object.assign(call, payload);
        } else {
            this.state.calls[callId] = { ...payload, showCard: true, pinned: false };
        }
        if (payload.state === "ended") {
            this.scheduleRemoval(callId);
        } else if (payload.state === "answered" && !this.autoOpened.has(callId)) {
            // Decided once, when the call is answered: a record matched or
            // created later in the call is not opened over the agent's screen.
            this.autoOpened.add(callId);
            // Payloads received while the page loads are mostly the bus replaying
            // the last seconds after a reload (the record was opened back then),
            // and opening now would race with the page's own first action.
            const live = this.state.ready && this.webClientReady;
            if (live && payload.auto_open && (payload.lead || payload.partner)) {
                this.autoOpenRecord(callId, payload);
            }
        }
    }

    async autoOpenRecord(callId, payload) {
        // The record opened is the lead, else the contact (action_open_record).
        // It may belong to another salesperson: then nothing opens by itself
        // (no access error popping up over the agent's screen), the card stays.
        const [model, record] = payload.lead
            ? ["crm.lead", payload.lead]
            : ["res.partner", payload.partner];
        const readable = await this.orm.searchCount(model, [["id", "=", record.id]], {
            context: { active_test: false },
        });
        if (readable) {
            await this.openRecord(callId);
        }
    }

    onPresencePayload(payload) {
        this.applyPresence({
            ...payload,
            presence_since: payload.presence_since ?? payload.since,
        });
    }

    applyPresence(data) {
        if (data.presence) {
            this.state.presence = data.presence;
            this.state.presenceSince = data.presence_since || false;
            this.state.wrapupUntil = data.wrapup_until || false;
            this.state.awayReason = data.away_reason || false;
        }
    }

    // -------------------------------------------------------------------------
    // Cards
    // -------------------------------------------------------------------------

    scheduleRemoval(callId) {
        const call = this.state.calls[callId];
        if (!call || call.pinned || this.removeTimers.has(callId)) {
            return;
        }
        this.removeTimers.set(
            callId,
            browser.setTimeout(() => {
                this.removeTimers.delete(callId);
                if (!this.state.calls[callId]?.pinned) {
                    this.removeCall(callId);
                }
            }, ENDED_CARD_DELAY)
        );
    }

    removeCall(callId) {
        browser.clearTimeout(this.removeTimers.get(callId));
        this.removeTimers.delete(callId);
        delete this.state.calls[callId];
    }

    showCard(callId) {
        const call = this.state.calls[callId];
        if (call) {
            call.showCard = true;
        }
    }

    /** The × of the card: an ended call is done with, a live one stays listed. */
    dismissCard(callId) {
        const call = this.state.calls[callId];
        if (!call) {
            return;
        }
        if (call.state === "ended") {
            this.removeCall(callId);
        } else {
            call.showCard = false;
        }
    }

    // -------------------------------------------------------------------------
    // Actions (all answered by the server with plain window actions)
    // -------------------------------------------------------------------------

    async callAction(callId, method, args = [], options = {}) {
        // Whatever the agent opens during the call, auto-open must not reopen it.
        this.autoOpened.add(callId);
        const action = await this.orm.call(CALL_MODEL, method, [[callId], ...args]);
        if (!action) {
            this.notification.add(_t("There is no record to open for this call."), {
                type: "warning",
            });
            return;
        }
        await this.action.doAction(action, options);
    }

    openRecord(callId) {
        return this.callAction(callId, "action_open_record");
    }

    chooseRecord(callId, model, resId) {
        return this.callAction(callId, "action_choose_record", [model, resId]);
    }

    createLead(callId) {
        return this.callAction(callId, "action_create_lead");
    }

    logCall(callId) {
        const call = this.state.calls[callId];
        if (call) {
            // The agent is working on this call: keep its card until closed.
            call.pinned = true;
            browser.clearTimeout(this.removeTimers.get(callId));
            this.removeTimers.delete(callId);
        }
        return this.callAction(callId, "action_log_call");
    }

    callBack(callId) {
        const call = this.state.calls[callId];
        if (!call?.number) {
            return;
        }
        return this.clickToCall(call.number, { resModel: CALL_MODEL, resId: callId });
    }

    // -------------------------------------------------------------------------
    // Click-to-call
    // -------------------------------------------------------------------------

    /**
     * Ask the server to place a call from the agent's extension to `number`.
     * A blacklisted number is confirmed first (managers only: agents get the
     * refusal). Success and refusals are shown as notifications.
     *
     * @param {string} number as the user sees it; the server normalizes it
     * @param {Object} [options]
     * @param {string} [options.resModel] the lead, contact or call called from
     * @param {number} [options.resId]
     * @param {boolean} [options.confirm] a manager confirmed a blacklisted number
     * @returns {Promise<Object>} the server's answer, `status` being "calling",
     *  or "error", "cancelled", "busy" when no call was placed
     */
    async clickToCall(number, { resModel = false, resId = false, confirm = false } = {}) {
        if (this.state.placingCall) {
            this.notification.add(_t("A call is already being placed."), { type: "warning" });
            return { status: "busy" };
        }
        this.state.placingCall = true;
        let result;
        try {
            result = await this.orm.call(CALL_MODEL, "action_click_to_call", [number], {
                res_model: resModel || false,
                res_id: resId || false,
                confirm,
            });
        } catch (error) {
            if (error instanceof RPCError && error.exceptionName === "odoo.exceptions.UserError") {
                this.notification.add(error.data.message, {
                    type: "danger",
                    title: _t("The call was not placed"),
                });
                return { status: "error", message: error.data.message };
            }
            throw error;
        } finally {
            this.state.placingCall = false;
        }
        if (result.status === "confirm") {
            return new Promise((resolve) => {
                this.dialog.add(ConfirmationDialog, {
                    title: _t("Blacklisted number"),
                    body: result.message,
                    confirmLabel: _t("Call anyway"),
                    confirmClass: "btn-danger",
                    confirm: async () =>
                        resolve(
                            await this.clickToCall(number, { resModel, resId, confirm: true })
                        ),
                    cancel: () => resolve({ status: "cancelled" }),
                });
            });
        }
        // The agent chose what is on their screen: answering must not open
        // the record over it.
        this.autoOpened.add(result.call_id);
        this.notification.add(result.message, { type: "success", title: _t("Calling") });
        return result;
    }

    // -------------------------------------------------------------------------
    // Presence
    // -------------------------------------------------------------------------

    async setPresence(presence, awayReasonId = false) {
        if (!SETTABLE_PRESENCES.includes(presence)) {
            return;
        }
        const args = awayReasonId ? [presence, awayReasonId] : [presence];
        const data = await this.orm.call("res.users", "callcenter_set_presence", args);
        this.applyPresence(data || {});
    }
}

export const callcenterService = {
    dependencies: ["action", "bus_service", "dialog", "notification", "orm"],
    start(env, services) {
        const callcenter = markRaw(new CallcenterService(env, services));
        callcenter.start();
        return callcenter;
    },
};

registry.category("services").add("crm_callcenter", callcenterService);

/**
 * Call buttons of forms (lead, contact, call) answer with this client action:
 * the call is placed from here so that its outcome and the blacklist
 * confirmation are shown like for a click on a phone number.
 */
async function clickToCallAction(env, action) {
    const { number, res_model, res_id } = action.params || {};
    await env.services.crm_callcenter.clickToCall(number, {
        resModel: res_model,
        resId: res_id,
    });
}

registry.category("actions").add("crm_callcenter.click_to_call", clickToCallAction);
