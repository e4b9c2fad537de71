#!/usr/bin/env bash
# Re-export each addon's .pot from a database where the addons are installed
# and up to date (default: the run.sh database). Then update vi/ru/tr.po
# (msgmerge or a PO editor); tests/test_i18n.py fails while they lag behind.
source "$(dirname "$0")/lib.sh"

DB="${1:-${ODOO_DB:-crm_callcenter_demo}}"
CONF="$STATE_DIR/odoo-$DB.conf"
check_odoo
ensure_postgres
write_config "$CONF" "$DB"
MODULES="$(our_modules)"
"$PYTHON" -m odoo -c "$CONF" -d "$DB" -u "$MODULES" --stop-after-init --log-level=warn
# shellcheck disable=SC2086
"$PYTHON" -m odoo i18n export -c "$CONF" -d "$DB" ${MODULES//,/ }
