from . import test_task_api
