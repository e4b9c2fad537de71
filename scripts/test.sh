#!/usr/bin/env bash
# Run the whole test suite on a fresh throwaway database, then drop it.
# Extra arguments go to pytest (e.g. -k webhook, -x).
source "$(dirname "$0")/lib.sh"

check_odoo
ensure_postgres
DB="crm_callcenter_test_$(date +%s)_$$"
CONF="$STATE_DIR/odoo-$DB.conf"
cleanup() {
  psql_as_odoo -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$CONF" "$STATE_DIR/data/filestore/$DB"
}
trap cleanup EXIT
write_config "$CONF" "$DB"
MODULES="$(our_modules)"

say "Installing $MODULES with demo data into $DB"
"$PYTHON" -m odoo -c "$CONF" -d "$DB" -i "$MODULES" --with-demo --stop-after-init --log-level=warn

say "Running the tests"
cd "$REPO_ROOT"
TEST_DIRS=(addons/*/tests tests)
set +e
"$PYTHON" -m pytest -p no:cacheprovider --odoo-config "$CONF" --odoo-database "$DB" \
  --odoo-http "${TEST_DIRS[@]}" "$@"
status=$?
set -e
exit $status
