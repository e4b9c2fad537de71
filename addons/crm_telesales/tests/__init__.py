from . import test_reports, test_security, test_ui_reports
