from . import test_reports, test_security
