import { registry } from "@web/core/registry";
import { agentCanCall, postWebhook } from "@crm_callcenter/../tests/tours/tour_utils";

/**
 * The contact center is faked by the Python test at the HTTP transport: the
 * originate requests Odoo sends are answered there. Its later webhook
 * requests are signed by the test and left in localStorage; the tour posts
 * them (tour_utils.js).
 */
const REQUESTS_KEY = "crm_callcenter.tour_requests";

registry.category("web_tour.tours").add("crm_callcenter_click_to_call_partner", {
    steps: () => [
        {
            content: "The contact's form is open; the call center is loaded",
            trigger: ".o_form_view .o_field_widget[name=phone] input",
            run: agentCanCall,
        },
        {
            // The link shows when the pointer is on the field (CSS :hover,
            // which synthetic tour events do not produce).
            content: "Click Call next to the contact's phone number",
            trigger: ".o_form_view .o_field_widget[name=phone] a.o_phone_form_link:not(:visible)",
            run: "click",
        },
        {
            content: "The center accepted: the agent is told",
            trigger: ".o_notification:contains(Calling +84903555444 from extension 101)",
        },
        {
            content: "The card of the placed call pops up; the customer does not answer",
            trigger:
                ".o_crm_callcenter_card_ringing .o_crm_callcenter_card_number:contains(+84903555444)",
            run: () => postWebhook(REQUESTS_KEY, 0),
        },
        {
            content: "The call ended: call back from its card",
            trigger: ".o_crm_callcenter_card_ended .o_crm_callcenter_card_call_back",
            run: "click",
        },
        {
            content: "The call back rings",
            trigger: ".o_crm_callcenter_card_ringing .o_crm_callcenter_card_number:contains(+84903555444)",
        },
    ],
});

registry.category("web_tour.tours").add("crm_callcenter_click_to_call_blacklisted", {
    steps: () => [
        {
            content: "The lead's form is open; the call center is loaded",
            trigger: ".o_form_view .o_field_widget[name=phone] input",
            run: agentCanCall,
        },
        {
            content: "Click the Call button of the lead",
            trigger: ".o_form_view .o_form_statusbar button[name=action_callcenter_call]",
            run: "click",
        },
        {
            content: "The number is blacklisted: the manager confirms",
            trigger: ".modal:contains(blacklist) .modal-footer button.btn-danger",
            run: "click",
        },
        {
            content: "The call is placed",
            trigger: ".o_notification:contains(from extension 103)",
        },
        {
            content: "No dialog left",
            trigger: "body:not(:has(.modal))",
        },
    ],
});
