from . import crm_survey_call_action
