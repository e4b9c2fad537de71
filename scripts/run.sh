#!/usr/bin/env bash
# Run the product: PostgreSQL up, a demo database created or updated with
# our addons, Odoo served on http://127.0.0.1:8069. Safe to run again.
source "$(dirname "$0")/lib.sh"

DB="${ODOO_DB:-crm_callcenter_demo}"
PORT="${ODOO_HTTP_PORT:-8069}"
CONF="$STATE_DIR/odoo-$DB.conf"

check_odoo
ensure_postgres
write_config "$CONF" "$DB"
MODULES="$(our_modules)"

installed=""
if db_exists "$DB"; then
  installed="$(psql_as_odoo -d "$DB" -tAc "SELECT 1 FROM ir_module_module WHERE name = 'crm_callcenter' AND state = 'installed'" 2>/dev/null || true)"
fi
if [ "$installed" = 1 ]; then
  say "Updating database $DB ($MODULES)"
  "$PYTHON" -m odoo -c "$CONF" -d "$DB" -u "$MODULES" --stop-after-init --log-level=warn
else
  say "Creating database $DB with demo data ($MODULES)"
  "$PYTHON" -m odoo -c "$CONF" -d "$DB" -i "$MODULES" --with-demo --stop-after-init --log-level=warn
fi
psql_as_odoo -d "$DB" -tAc \
  "UPDATE ir_config_parameter SET value = 'http://127.0.0.1:$PORT' WHERE key = 'web.base.url'" >/dev/null
TOKEN="$(psql_as_odoo -d "$DB" -tAc "SELECT p.webhook_token FROM crm_callcenter_provider p JOIN ir_model_data d ON d.model = 'crm.callcenter.provider' AND d.res_id = p.id WHERE d.module = 'crm_callcenter' AND d.name = 'crm_callcenter_provider_generic_demo'")"

cat >&2 <<INFO

  Odoo:        http://127.0.0.1:$PORT   (database $DB)
  Logins:      admin / admin (call center manager)
               agent1 / agent1 (extension 101)   agent2 / agent2 (extension 102)
  Demo webhook (provider "Demo Contact Center", generic signed JSON):
               http://127.0.0.1:$PORT/callcenter/webhook/${TOKEN:-<no demo provider>}
  Try it:      python3 scripts/simulate_call.py --url http://127.0.0.1:$PORT/callcenter/webhook/${TOKEN:-TOKEN}

INFO
exec "$PYTHON" -m odoo -c "$CONF" -d "$DB" --http-port "$PORT" "$@"
