from . import test_call_messages, test_delivery_callbacks, test_gateways
