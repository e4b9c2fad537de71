from . import (
    test_dialer_calls,
    test_dialer_concurrency,
    test_dialer_pacing,
    test_dialer_picking,
    test_intake_concurrency,
    test_push,
    test_simulator_dialer,
    test_target_intake,
    test_task_api,
    test_ui_workspace,
)
