from . import (
    crm_callcenter_call,
    crm_callcenter_provider,
    crm_callcenter_sms_gateway,
    crm_callcenter_sms_log,
    crm_callcenter_sms_rule,
    crm_lead,
    ir_actions_server,
    res_company,
    res_config_settings,
    res_partner,
    sms_sms,
)
