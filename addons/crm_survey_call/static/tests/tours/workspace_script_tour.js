import { registry } from "@web/core/registry";

const panel = ".o_crm_telesales_target > .o_crm_survey_call_workspace_script";
const question = (title) => `${panel} .o_crm_survey_call_question:has(label:contains(${title}))`;

registry.category("web_tour.tours").add("crm_survey_call_workspace_script", {
    steps: () => [
        {
            content: "Next call: the target's data, with the campaign's script beside it",
            trigger: `.o_crm_telesales_target:has(.o_crm_telesales_customer:contains(Phạm Thị Lan)) > .o_crm_survey_call_workspace_script .o_crm_survey_call_title:contains(Loan follow-up)`,
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
            content: "Save",
            trigger: `${panel} .o_crm_survey_call_save:enabled`,
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_notification:contains(Script saved)",
        },
        {
            content: "The workspace is reloaded",
            trigger: `${panel} .o_crm_survey_call_page`,
            run: () => window.location.reload(),
            expectUnloadPage: true,
        },
        {
            content: "The script resumes on the same answers",
            trigger: `${question("Still interested?")} .o_crm_survey_call_choice.active:contains(Yes)`,
        },
        {
            trigger: `${question("Amount?")} input:value(15000)`,
        },
        {
            content: "Next section: the city",
            trigger: `${panel} .o_crm_survey_call_next:enabled`,
            run: "click",
        },
        {
            trigger: `${question("City?")} input:value(Huế)`,
            run: "edit Đà Nẵng",
        },
        {
            content: "Save",
            trigger: `${panel} .o_crm_survey_call_save:enabled`,
            run: "click",
        },
        {
            trigger: `${panel} .o_crm_survey_call_save:enabled`,
        },
        {
            content: "Saved again",
            trigger: ".o_notification:contains(Script saved):contains(Đà Nẵng)",
        },
    ],
});
