from . import test_mapping, test_script, test_security
