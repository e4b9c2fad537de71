# Shared helpers of scripts/run.sh and scripts/test.sh (sourced, not run).
# Configuration comes from the environment; every variable has a default that
# works on a Debian machine with the postgresql package installed.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PYTHON="${PYTHON:-python3}"
export ODOO_DB_HOST="${ODOO_DB_HOST:-127.0.0.1}"
export ODOO_DB_PORT="${ODOO_DB_PORT:-5432}"
export ODOO_DB_USER="${ODOO_DB_USER:-odoo}"
export ODOO_DB_PASSWORD="${ODOO_DB_PASSWORD:-odoo}"
STATE_DIR="${CRM_CALLCENTER_STATE_DIR:-$REPO_ROOT/.local}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

psql_as_odoo() {
  PGPASSWORD="$ODOO_DB_PASSWORD" psql -X -q -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" \
    -U "$ODOO_DB_USER" "$@" </dev/null
}

check_odoo() {
  local version
  version="$("$PYTHON" -c 'import odoo.release as r; print(r.series)' 2>/dev/null)" \
    || die "Odoo 19 must be installed first: 'python3 -c \"import odoo\"' fails (see README, 'Installing Odoo 19')."
  [ "$version" = "19.0" ] \
    || die "Odoo 19 must be installed first: found Odoo $version (see README, 'Installing Odoo 19')."
}

# Odoo's own addons folders (source checkout or package install).
odoo_core_addons_path() {
  "$PYTHON" - <<'PY'
import os
import odoo
paths = []
for pkg in odoo.__path__:
    for cand in (os.path.join(os.path.dirname(pkg), "addons"), os.path.join(pkg, "addons")):
        if any(os.path.isdir(os.path.join(cand, m)) for m in ("web", "base")):
            paths.append(os.path.abspath(cand))
print(",".join(dict.fromkeys(paths)))
PY
}

# Our installable addons, comma separated.
our_modules() {
  "$PYTHON" - "$REPO_ROOT/addons" <<'PY'
import ast, os, sys
root = sys.argv[1]
mods = []
for name in sorted(os.listdir(root)):
    manifest = os.path.join(root, name, "__manifest__.py")
    if os.path.isfile(manifest):
        with open(manifest) as fh:
            if ast.literal_eval(fh.read()).get("installable", True):
                mods.append(name)
print(",".join(mods))
PY
}

# Make sure a PostgreSQL server answers and our role exists.
ensure_postgres() {
  command -v psql >/dev/null || die "PostgreSQL client (psql) not found: install the postgresql package."
  if ! pg_isready -q -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT"; then
    if command -v pg_lsclusters >/dev/null && [ "$(id -u)" = 0 ]; then
      local ver name
      read -r ver name < <(pg_lsclusters -h | awk '{print $1, $2; exit}')
      [ -n "${ver:-}" ] || die "no PostgreSQL cluster found (pg_lsclusters is empty)."
      say "Starting PostgreSQL cluster $ver/$name"
      pg_ctlcluster "$ver" "$name" start || true
    fi
    for _ in $(seq 1 30); do
      pg_isready -q -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" && break
      sleep 1
    done
    pg_isready -q -h "$ODOO_DB_HOST" -p "$ODOO_DB_PORT" \
      || die "PostgreSQL does not answer on $ODOO_DB_HOST:$ODOO_DB_PORT (set ODOO_DB_HOST/ODOO_DB_PORT or start it)."
  fi
  if ! psql_as_odoo -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
      say "Creating PostgreSQL role $ODOO_DB_USER (CREATEDB)"
      su postgres -c "psql -X -q -v ON_ERROR_STOP=1" <<SQL
DO \$\$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ODOO_DB_USER') THEN
    CREATE ROLE "$ODOO_DB_USER" LOGIN CREATEDB PASSWORD '$ODOO_DB_PASSWORD';
  ELSE
    ALTER ROLE "$ODOO_DB_USER" LOGIN CREATEDB PASSWORD '$ODOO_DB_PASSWORD';
  END IF;
END\$\$;
SQL
    fi
    psql_as_odoo -d postgres -tAc 'SELECT 1' >/dev/null \
      || die "cannot log in to PostgreSQL as $ODOO_DB_USER (set ODOO_DB_USER/ODOO_DB_PASSWORD)."
  fi
}

db_exists() {
  [ "$(psql_as_odoo -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" = 1 ]
}

# write_config FILE DBNAME: an Odoo configuration file for our addons.
# db_name alone (no dbfilter) exposes that one database: with a dbfilter, Odoo
# opens a new connection to PostgreSQL's 'postgres' database to list the
# databases on every request without a session cookie, which is every webhook
# (see crm_callcenter's CONFIGURE: 'Which database a webhook reaches').
write_config() {
  local file="$1" db="$2" core
  core="$(odoo_core_addons_path)"
  mkdir -p "$(dirname "$file")"
  cat >"$file" <<CONF
[options]
db_host = $ODOO_DB_HOST
db_port = $ODOO_DB_PORT
db_user = $ODOO_DB_USER
db_password = $ODOO_DB_PASSWORD
db_name = $db
addons_path = $core,$REPO_ROOT/addons
data_dir = $STATE_DIR/data
http_interface = 127.0.0.1
list_db = False
CONF
  chmod 600 "$file"
}
