from . import (
    crm_callcenter_call,
    crm_callcenter_provider,
    crm_callcenter_sms_gateway,
    crm_callcenter_sms_log,
    crm_callcenter_sms_rule,
    ir_actions_server,
    res_company,
    res_config_settings,
    sms_sms,
)
