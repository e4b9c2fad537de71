from . import (
    crm_callcenter_call,
    crm_telesales_campaign,
    crm_telesales_campaign_report,
    crm_telesales_dialer,
    crm_telesales_push,
    crm_telesales_target,
    crm_telesales_target_intake,
    crm_telesales_window,
    res_users,
)
