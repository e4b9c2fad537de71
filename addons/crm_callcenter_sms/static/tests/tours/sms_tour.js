import { registry } from "@web/core/registry";
import { postWebhook } from "@crm_callcenter/../tests/tours/tour_utils";

/**
 * The contact center's webhook requests are signed by the Python test and
 * left in localStorage; the tour posts them when the page is ready (as
 * crm_callcenter's screen pop tours do). The SMS gateway is a local server
 * of the test, which checks what it received.
 */
const REQUESTS_KEY = "crm_callcenter.tour_requests";

/** Composer steps: the caller's number is filled in, the agent types and sends. */
function composeAndSend(text) {
    return [
        {
            content: "The SMS composer opens on the caller's number",
            trigger: ".modal .o_field_widget[name=recipient_single_number_itf] input",
            run() {
                const digits = this.anchor.value.replace(/\D/g, "");
                if (digits !== "84903555777") {
                    throw new Error(`not the caller's number: ${this.anchor.value}`);
                }
            },
        },
        {
            content: "Type the message",
            trigger: ".modal .o_field_widget[name=body]:visible textarea",
            run: `edit ${text}`,
        },
        {
            content: "Send it",
            trigger: ".modal .modal-footer button[name=action_send_sms]",
            run: "click",
        },
        {
            content: "The composer closed",
            trigger: "body:not(:has(.modal))",
        },
    ];
}

registry.category("web_tour.tours").add("crm_callcenter_sms_call_card", {
    steps: () => [
        {
            content: "The call center is loaded for the agent: the caller rings",
            trigger: ".o_crm_callcenter_systray",
            run: () => postWebhook(REQUESTS_KEY, 0),
        },
        {
            content: "The card pops up with the known caller; the agent answers",
            trigger: ".o_crm_callcenter_card_ringing:contains(Lê Thị Nhắn Tin)",
            run: () => postWebhook(REQUESTS_KEY, 1),
        },
        {
            content: "The caller's contact opened on answer",
            trigger: ".o_form_view .o_field_widget[name=name] input:value(Lê Thị Nhắn Tin)",
        },
        {
            content: "Text the caller from the card",
            trigger: ".o_crm_callcenter_card_answered .o_crm_callcenter_card_send_sms:enabled",
            run: "click",
        },
        ...composeAndSend("Your taxi is on its way: white Vios 51A-123.45"),
        {
            content: "The SMS is on the contact's chatter",
            trigger: ".o-mail-Message:contains(Your taxi is on its way)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_callcenter_sms_call_form", {
    steps: () => [
        {
            content: "The ended call's form: Send SMS",
            trigger: ".o_form_view .o_form_statusbar button[name=action_send_sms]",
            run: "click",
        },
        ...composeAndSend("We will deliver your order tomorrow morning."),
    ],
});
