{
    "name": "CRM Call Scripts: SMS",
    "version": "19.0.1.0.0",
    "summary": "Script answers that send an SMS template to the customer",
    "category": "Sales/CRM",
    "author": "CRM Call Center contributors",
    "license": "LGPL-3",
    "depends": ["crm_survey_call", "sms"],
    "auto_install": True,
    "data": ["views/survey_question_views.xml"],
}
