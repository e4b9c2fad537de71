from . import test_push, test_task_api
