"""Signing like the demo contact center (test helper): the generic demo
provider's secret, Standard Webhooks headers."""

import sys
from pathlib import Path

from odoo.addons.crm_callcenter.tests.common import FakeContactCenter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import simulate_call


def signed_headers(msg_id, body):
    """Headers of ``body`` signed like the demo contact center signs it."""
    return FakeContactCenter(simulate_call.DEMO_SECRET).sign(body, msg_id)[1]
