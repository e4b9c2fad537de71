from . import (
    test_mapping,
    test_script,
    test_security,
    test_ui_script,
    test_workspace,
)
