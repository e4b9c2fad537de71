from . import (
    crm_callcenter_call,
    crm_callcenter_call_mixin,
    crm_callcenter_callback,
    crm_callcenter_did,
    crm_callcenter_disposition,
    crm_callcenter_event,
    crm_callcenter_extension,
    crm_callcenter_provider,
    crm_lead,
    mail_activity,
    res_partner,
    res_users,
)
