from . import (
    test_call_folding,
    test_event_retry,
    test_matching,
    test_security,
    test_signature,
    test_ui,
    test_webhook,
)
