from odoo.tools import SQL

from . import controllers, models, tools, wizard
from .models.crm_callcenter_call import MATCH_FUNCTION


def uninstall_hook(env):
    """Drop what Odoo does not know it must: the caller lookup's function."""
    env.cr.execute(
        SQL(
            "DROP FUNCTION IF EXISTS %s(varchar, integer)",
            SQL.identifier(MATCH_FUNCTION),
        )
    )
