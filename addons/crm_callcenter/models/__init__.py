from . import (
    crm_callcenter_call,
    crm_callcenter_call_mixin,
    crm_callcenter_event,
    crm_callcenter_extension,
    crm_callcenter_provider,
    crm_lead,
    res_partner,
    res_users,
)
