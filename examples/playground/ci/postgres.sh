#!/usr/bin/env bash
# Starts the local Debian PostgreSQL cluster (installed by scripts/install-deps.sh),
# creates the playground test role and database, and prints the URL the
# playground's database tests read from PLAYGROUND_TEST_POSTGRES_URL.
# Idempotent; needs root (CI runs as root). Usage:
#   export PLAYGROUND_TEST_POSTGRES_URL=$(bash examples/playground/ci/postgres.sh)
set -euo pipefail
ver=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
if [ -z "$ver" ]; then echo "postgresql is not installed" >&2; exit 1; fi
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
  pg_createcluster "$ver" main >&2
fi
if ! pg_lsclusters -h | grep -q "^$ver *main .* online"; then
  pg_ctlcluster "$ver" main start >&2
fi
for i in $(seq 1 30); do
  su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='playground'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"create role playground login password 'playground'\"" >&2
su postgres -c "psql -qtAc \"select 1 from pg_database where datname='playground_test'\"" | grep -q 1 ||
  su postgres -c "psql -qc 'create database playground_test owner playground'" >&2
port=$(pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main"{print $3}')
echo "postgres://playground:playground@127.0.0.1:${port}/playground_test?sslmode=disable"
