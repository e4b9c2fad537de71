from . import test_reports
