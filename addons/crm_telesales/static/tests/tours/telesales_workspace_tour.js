import { registry } from "@web/core/registry";
import { agentCanCall, postWebhook } from "@crm_callcenter/../tests/tours/tour_utils";

/**
 * The contact center is faked by the Python test at the HTTP transport (the
 * originate request); its webhook requests, signed by the test, wait in
 * localStorage and are posted by the tour when the page is ready for them.
 */
const REQUESTS_KEY = "crm_telesales.tour_requests";

registry.category("web_tour.tours").add("crm_telesales_workspace", {
    steps: () => [
        {
            content: "The workspace is open; the call center is loaded",
            trigger: ".o_crm_telesales_workspace .o_crm_telesales_empty",
            run: agentCanCall,
        },
        {
            content: "Ask for the next call",
            trigger: ".o_crm_telesales_next:enabled",
            run: "click",
        },
        {
            content: "The target's data from the source system is shown",
            trigger: ".o_crm_telesales_payload:contains(A-1042):contains(12 Lê Lợi)",
        },
        {
            content: "with the customer and the previous calls",
            trigger: ".o_crm_telesales_customer:contains(Nguyễn Thị Test)",
        },
        {
            content: "The agent continues: the call is placed",
            trigger: ".o_crm_telesales_continue",
            run: "click",
        },
        {
            content: "The call card pops up; the customer answers",
            trigger:
                ".o_crm_callcenter_card_ringing .o_crm_callcenter_card_number:contains(+84903555111)",
            run: () => postWebhook(REQUESTS_KEY, 0),
        },
        {
            content: "The workspace follows the call; they hang up",
            trigger: ".o_crm_telesales_calling:contains(In call)",
            run: () => postWebhook(REQUESTS_KEY, 1),
        },
        {
            content: "Wrap-up: the disposition",
            trigger: ".o_crm_telesales_wrap_up select.o_crm_telesales_disposition",
            run: "selectByIndex 1",
        },
        {
            content: "and a note",
            trigger: ".o_crm_telesales_wrap_up textarea.o_crm_telesales_note",
            run: "edit Two boxes",
        },
        {
            content: "Save the wrap-up",
            trigger: ".o_crm_telesales_wrap_up_save",
            run: "click",
        },
        {
            content: "Wrapped up: nothing left in the workspace",
            trigger: ".o_notification:contains(Call wrapped up)",
        },
        {
            trigger: ".o_crm_telesales_workspace .o_crm_telesales_empty",
        },
    ],
});
