# odoo-bin commands of the addon. Odoo 19 finds them by file name in
# <addon>/cli/ (odoo.cli.command.load_addons_commands) without importing the
# addon; this package only lets tests import them.
from . import callcenter_listen
