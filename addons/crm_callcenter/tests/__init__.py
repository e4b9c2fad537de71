from . import (
    test_call_folding,
    test_call_handling,
    test_callbacks,
    test_event_retry,
    test_matching,
    test_reports,
    test_screen_pop,
    test_security,
    test_signature,
    test_ui,
    test_ui_screen_pop,
    test_webhook,
)
