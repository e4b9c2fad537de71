{
    "name": "CRM Call Scripts",
    "version": "19.0.1.0.0",
    "summary": "Call scripts (surveys) shown during calls, answers written to the "
    "CRM, answer-triggered actions",
    "category": "Sales/CRM",
    "author": "CRM Call Center contributors",
    "license": "LGPL-3",
    "depends": ["crm_telesales", "survey"],
    "data": [
        "security/crm_survey_call_security.xml",
        "security/ir.model.access.csv",
        "views/survey_question_views.xml",
        "views/survey_survey_views.xml",
        "views/survey_user_input_views.xml",
        "views/crm_callcenter_views.xml",
        "views/crm_telesales_campaign_views.xml",
        "views/crm_telesales_target_views.xml",
    ],
    "demo": ["demo/crm_survey_call_demo.xml"],
    "assets": {
        "web.assets_backend": ["crm_survey_call/static/src/**/*"],
        "web.assets_tests": ["crm_survey_call/static/tests/tours/**/*"],
    },
}
