from . import test_dialer_picking
