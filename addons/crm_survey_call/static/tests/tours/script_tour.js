import { registry } from "@web/core/registry";
import { postWebhook } from "@crm_callcenter/../tests/tours/tour_utils";

/**
 * The call's webhook requests are signed by the Python test and left in
 * localStorage (see crm_callcenter's screen pop tour); the tour posts them,
 * without the agent's cookies, as the contact center does.
 */
const REQUESTS_KEY = "crm_survey_call.tour_requests";

const question = (title) => `.o_crm_survey_call_question:has(label:contains(${title}))`;

registry.category("web_tour.tours").add("crm_survey_call_script", {
    steps: () => [
        {
            content: "The call center is loaded for the agent: the customer calls",
            trigger: ".o_crm_callcenter_systray",
            run: () => postWebhook(REQUESTS_KEY, 0),
        },
        {
            content: "The card pops up; the agent answers",
            trigger: ".o_crm_callcenter_card_ringing:contains(Loan APP-1)",
            run: () => postWebhook(REQUESTS_KEY, 1),
        },
        {
            content: "In the call, the agent opens the script",
            trigger: ".o_crm_callcenter_card_answered .o_crm_survey_call_card_script",
            run: "click",
        },
        {
            content: "The script opens beside the card",
            trigger: ".o_crm_survey_call_script .o_crm_survey_call_title:contains(Loan follow-up)",
        },
        {
            content: "The amount is asked only once the customer is interested",
            trigger: ".o_crm_survey_call_page:not(:has(label:contains(Amount?)))",
        },
        {
            content: "The customer is interested",
            trigger: `${question("Still interested?")} .o_crm_survey_call_choice:contains(Yes)`,
            run: "click",
        },
        {
            content: "The amount question shows up: 15000",
            trigger: `${question("Amount?")} input`,
            run: "edit 15000",
        },
        {
            content: "Next section",
            trigger: ".o_crm_survey_call_next:enabled",
            run: "click",
        },
        {
            content: "The city is prefilled from the lead",
            trigger: `${question("City?")} input:value(Huế)`,
            run: "edit Đà Nẵng",
        },
        {
            content: "Back to the first section: the answers are kept",
            trigger: ".o_crm_survey_call_previous:enabled",
            run: "click",
        },
        {
            content: "Still answered Yes",
            trigger: `${question("Still interested?")} .o_crm_survey_call_choice.active:contains(Yes)`,
        },
        {
            content: "Save and finish",
            trigger: ".o_crm_survey_call_finish:enabled",
            run: "click",
        },
        {
            content: "Saved, and back where the agent was",
            trigger: "body:not(:has(.o_crm_survey_call_script))",
        },
    ],
});
