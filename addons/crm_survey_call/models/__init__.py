from . import (
    crm_callcenter_call,
    crm_callcenter_did,
    crm_callcenter_provider,
    crm_survey_call_action,
    crm_survey_call_action_log,
    crm_telesales_campaign,
    crm_telesales_target,
    survey_question,
    survey_survey,
    survey_user_input,
    survey_user_input_line,
)
