from . import test_push, test_target_intake, test_task_api
