import { registry } from "@web/core/registry";
import { postWebhook } from "@crm_callcenter/../tests/tours/tour_utils";
import { stepUtils } from "@web_tour/tour_utils";

/**
 * The contact center's webhook requests are signed by the Python test (it has
 * the provider's secret) and left in localStorage before the tour starts. The
 * tour posts them itself, one at a time, when the page is ready for them: the
 * screen pop is then exercised through the real path (webhook → call →
 * bus → card), in order, with no timing guesswork between the test thread and
 * the browser.
 */
export const REQUESTS_KEY = "crm_callcenter.tour_requests";

function tourData() {
    return JSON.parse(localStorage.getItem(REQUESTS_KEY));
}

registry.category("web_tour.tours").add("crm_callcenter_screen_pop_known_caller", {
    steps: () => [
        {
            content: "The call center is loaded for the agent: the caller rings",
            trigger: ".o_crm_callcenter_systray",
            run: () => postWebhook(REQUESTS_KEY, 0),
        },
        {
            content: "The card pops up with the known caller, a VIP",
            trigger: ".o_crm_callcenter_card_ringing:contains(Trần Văn Screenpop) .o_crm_callcenter_card_vip:contains(VIP)",
        },
        {
            content: "Ringing, not yet opened; the agent answers",
            trigger: ".o_crm_callcenter_card_ringing .o_crm_callcenter_card_state:contains(Ringing)",
            run: () => postWebhook(REQUESTS_KEY, 1),
        },
        {
            content: "The card follows the call",
            trigger: ".o_crm_callcenter_card_answered .o_crm_callcenter_card_state:contains(In Progress)",
        },
        {
            content: "The caller's contact opened by itself on answer",
            trigger: ".o_form_view .o_field_widget[name=name] input:value(Trần Văn Screenpop)",
            run() {
                const { partnerId } = tourData();
                if (!window.location.pathname.endsWith(`/res.partner/${partnerId}`)) {
                    throw new Error(`not the caller's contact: ${window.location.pathname}`);
                }
            },
        },
        {
            content: "The systray counts the call in progress",
            trigger: ".o_crm_callcenter_systray .o_crm_callcenter_systray_badge:contains(1)",
            run: () => postWebhook(REQUESTS_KEY, 2),
        },
        {
            content: "The caller hangs up: the card shows the outcome",
            trigger: ".o_crm_callcenter_card_ended .o_crm_callcenter_card_state:contains(Ended: Answered)",
        },
        {
            content: "The agent logs the call",
            trigger: ".o_crm_callcenter_card_ended .o_crm_callcenter_card_log",
            run: "click",
        },
        {
            content: "Write what was said",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Wants a quote for 20 seats",
        },
        {
            content: "Log it",
            trigger: ".modal .modal-footer button[name=action_log]",
            run: "click",
        },
        {
            content: "The wizard is closed; the card of the logged call stays",
            trigger: "body:not(:has(.modal)) .o_crm_callcenter_card_ended",
        },
        {
            content: "The agent closes the card",
            trigger: ".o_crm_callcenter_card_ended .o_crm_callcenter_card_close",
            run: "click",
        },
        {
            content: "No card left",
            trigger: "body:not(:has(.o_crm_callcenter_card))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_callcenter_screen_pop_unknown_caller", {
    steps: () => [
        {
            content: "The agent opens the call center menu",
            trigger: ".o_crm_callcenter_systray[data-presence=offline]",
            run: "click",
        },
        {
            content: "and becomes available",
            trigger: ".o_crm_callcenter_presence_option[data-presence=available]",
            run: "click",
        },
        {
            content: "Available: an unknown number rings",
            trigger: ".o_crm_callcenter_systray[data-presence=available]",
            run: () => postWebhook(REQUESTS_KEY, 0),
        },
        {
            content: "The card shows the number of the unknown caller",
            trigger: ".o_crm_callcenter_card_ringing:has(.o_crm_callcenter_card_unknown):not(:has(.o_crm_callcenter_card_vip)) .o_crm_callcenter_card_number:contains(+84903555333)",
            run: () => postWebhook(REQUESTS_KEY, 1),
        },
        {
            content: "Answered: the server moves the agent to In Call",
            trigger: ".o_crm_callcenter_systray[data-presence=in_call]",
        },
        {
            content: "Nothing to open automatically: create a lead from the card",
            trigger: ".o_crm_callcenter_card_answered .o_crm_callcenter_card_create_lead",
            run: "click",
        },
        {
            content: "The new lead carries the caller's number",
            trigger: ".o_form_view .o_field_widget[name=phone] input",
            run() {
                // phone_validation formats it (+84 90 355 53 33): compare digits.
                const digits = this.anchor.value.replace(/\D/g, "");
                if (digits !== "84903555333") {
                    throw new Error(`lead phone is not the caller's: ${this.anchor.value}`);
                }
            },
        },
        {
            content: "Name the lead",
            trigger: ".o_form_view .o_field_widget[name=name] textarea",
            run: "edit Screen pop lead",
        },
        ...stepUtils.saveForm(),
        {
            content: "Saved: the card now shows the lead, no more Create lead",
            trigger: ".o_crm_callcenter_card_answered:not(:has(.o_crm_callcenter_card_create_lead)) .o_crm_callcenter_card_name:contains(Screen pop lead)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_callcenter_screen_pop_hidden_caller", {
    steps: () => [
        {
            content: "The call center is loaded: a caller with a withheld number rings",
            trigger: ".o_crm_callcenter_systray",
            run: () => postWebhook(REQUESTS_KEY, 0),
        },
        {
            content: "The card says the number is hidden, not the center's placeholder",
            trigger: ".o_crm_callcenter_card_ringing .o_crm_callcenter_card_number:contains(Hidden number):not(:contains(anonymous))",
        },
        {
            content: "The agent looks at the current calls",
            trigger: ".o_crm_callcenter_systray",
            run: "click",
        },
        {
            content: "The systray lists the call as from a hidden number",
            trigger: ".o_crm_callcenter_systray_call:contains(Hidden number)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_callcenter_screen_pop_transferred", {
    steps: () => [
        {
            content: "Another agent answers the caller, then transfers them to this agent",
            trigger: ".o_crm_callcenter_systray",
            run: async () => {
                for (const index of [0, 1, 2]) {
                    await postWebhook(REQUESTS_KEY, index);
                }
            },
        },
        {
            content: "The card pops in progress with the caller",
            trigger: ".o_crm_callcenter_card_answered:contains(Trần Văn Screenpop)",
        },
        {
            content: "It says whom the caller comes from",
            trigger: ".o_crm_callcenter_card_answered .o_crm_callcenter_card_transferred:contains(Transferred from Agent A)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_callcenter_away_reason", {
    steps: () => [
        {
            content: "The agent opens the call center menu",
            trigger: ".o_crm_callcenter_systray[data-presence=offline]",
            run: "click",
        },
        {
            content: "and goes to lunch",
            trigger: ".o_crm_callcenter_away_reason:contains(Lunch)",
            run: "click",
        },
        {
            content: "Away, and the top bar says why",
            trigger: ".o_crm_callcenter_systray[data-presence=away][title*='Away: Lunch']",
            run: "click",
        },
        {
            content: "The menu marks the reason chosen",
            trigger: ".o_crm_callcenter_away_reason.active:contains(Lunch)",
        },
        {
            content: "Each presence is listed once: the ones agents set can be chosen",
            trigger: ".o_crm_callcenter_systray_menu:not(:has(.o_crm_callcenter_presence_option.disabled[data-presence=available])):has(.o_crm_callcenter_presence_option.disabled[data-presence=in_call])",
        },
    ],
});
