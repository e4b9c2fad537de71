from . import (
    test_intake_concurrency,
    test_push,
    test_simulator_dialer,
    test_target_intake,
    test_task_api,
)
