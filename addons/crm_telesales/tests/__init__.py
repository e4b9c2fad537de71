from . import (
    test_dialer_calls,
    test_dialer_concurrency,
    test_dialer_pacing,
    test_dialer_picking,
    test_ui_workspace,
)
