#!/bin/bash
# Create the demo database on first start, update it on later starts.
set -e
DB="${ODOO_DB:-crm_callcenter}"
if psql "postgresql://odoo:odoo@db:5432/$DB" -tAc \
    "SELECT 1 FROM ir_module_module WHERE name='crm_callcenter' AND state='installed'" 2>/dev/null | grep -q 1; then
  odoo -c /etc/odoo/odoo.conf -d "$DB" -u crm_callcenter --stop-after-init
else
  odoo -c /etc/odoo/odoo.conf -d "$DB" -i crm_callcenter --with-demo --stop-after-init
fi
