from . import test_demo, test_reports, test_security, test_ui_reports
