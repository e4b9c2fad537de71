from . import crm_callcenter_call_log
