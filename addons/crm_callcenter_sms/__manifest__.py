{
    "name": "CRM Call Center SMS",
    "version": "19.0.1.0.0",
    "summary": "SMS gateways (SMSC.ru, generic HTTP), delivery reports, costs, "
    "failover and SMS/e-mail messages on call events",
    "category": "Sales/CRM",
    "author": "CRM Call Center contributors",
    "license": "LGPL-3",
    "depends": ["crm_callcenter", "sms"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/ir.model.access.csv",
        "security/crm_callcenter_sms_security.xml",
        "data/ir_cron_data.xml",
        "views/crm_callcenter_sms_gateway_views.xml",
        "views/crm_callcenter_sms_log_views.xml",
        "views/crm_callcenter_provider_views.xml",
        "views/crm_callcenter_call_views.xml",
        "views/ir_actions_server_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_callcenter_sms_menus.xml",
    ],
    "demo": ["demo/crm_callcenter_sms_demo.xml"],
    "assets": {
        "web.assets_backend": ["crm_callcenter_sms/static/src/**/*"],
        "web.assets_tests": ["crm_callcenter_sms/static/tests/tours/**/*"],
    },
}
