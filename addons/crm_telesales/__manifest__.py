{
    "name": "CRM Telesales",
    "version": "19.0.1.0.0",
    "summary": "Telesales campaigns, targets and the dialer on top of CRM Call Center",
    "category": "Sales/CRM",
    "author": "CRM Call Center contributors",
    "license": "LGPL-3",
    "depends": ["crm_callcenter", "utm"],
    "data": [
        "security/crm_telesales_security.xml",
        "security/ir.model.access.csv",
        "views/crm_telesales_campaign_views.xml",
        "views/crm_telesales_target_views.xml",
        "views/crm_telesales_menus.xml",
        "report/crm_telesales_report_views.xml",
    ],
    "demo": ["demo/crm_telesales_demo.xml"],
    "assets": {
        "web.assets_backend": ["crm_telesales/static/src/dashboard/**/*"],
    },
}
