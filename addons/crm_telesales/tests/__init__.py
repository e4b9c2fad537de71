from . import test_dialer_concurrency, test_dialer_picking
