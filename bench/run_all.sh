#!/usr/bin/env bash
# Run every benchmark once, one after the other, against the same Odoo
# configuration; each prints its tables and its target's PASS/FAIL.
#
#   bench/run_all.sh -c /path/to/odoo.conf            # full run (~15 min + the 1M-row build)
#   bench/run_all.sh -c /path/to/odoo.conf --quick    # a few seconds per phase, 100k contacts
#
# Options other than --quick are passed to every script (-c, -d, --no-update).
# Benchmarks inform, they do not gate: the exit status is 0 unless a script crashed.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
quick=0
common=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) common+=("$arg") ;;
  esac
done

say() { printf '\n\033[1m######## %s\033[0m\n' "$*"; }

if [ "$quick" = 1 ]; then
  webhook=(--duration 4 --warmup 2)
  lookup=(--partners 100000 --leads 10000 --lookups 300 --write-rounds 2 --sql-rows 20000)
  pop=(--duration 5)
  adherence=(--agents 20 --days 7 --rounds 1)
else
  webhook=(--duration 15 --profile auto)
  lookup=()
  pop=(--duration 30)
  adherence=()
fi

status=0
say "webhook_load ${webhook[*]}"
"$PYTHON" bench/webhook_load.py "${common[@]}" "${webhook[@]}" || status=$?
# The database is up to date now: the next scripts skip '-u crm_callcenter'.
say "screen_pop_latency ${pop[*]}"
"$PYTHON" bench/screen_pop_latency.py "${common[@]}" --no-update "${pop[@]}" || status=$?
say "phone_lookup ${lookup[*]}"
"$PYTHON" bench/phone_lookup.py "${common[@]}" "${lookup[@]}" || status=$?
say "adherence ${adherence[*]}"
"$PYTHON" bench/adherence.py "${common[@]}" --no-update "${adherence[@]}" || status=$?
exit "$status"
