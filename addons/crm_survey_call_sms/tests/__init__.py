from . import test_sms_action
