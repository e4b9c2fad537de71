from . import (
    test_call_messages,
    test_delivery_callbacks,
    test_gateways,
    test_smart_buttons,
    test_ui_send_sms,
)
