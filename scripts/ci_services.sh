#!/usr/bin/env bash
# Services the tests need, on a Debian/Ubuntu machine: PostgreSQL (store tests) and Chromium with
# chromedriver and a Khmer font (the dashboard's browser test). Installs them when absent, starts PostgreSQL, creates
# the test role and database, and prints the variables the tests read, for the caller to eval:
#
#   eval "$(scripts/ci_services.sh)"     # then: make test
#
# Progress goes to stderr; stdout carries only `export NAME=value` lines. Idempotent and quick
# when everything is already there. TEST_POSTGRES_URL, when already set, is used as is.
set -euo pipefail

log() { echo "ci_services: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

missing=()
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
# Khmer font, so that the browser test's screenshot (docs/dashboard.png) shows Khmer, not boxes
[ -d /usr/share/fonts/truetype/khmeros ] || missing+=(fonts-khmeros)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]} (apt-get)"
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
fi
echo "export CHROMIUM_BIN=$(command -v chromium)"
echo "export CHROMEDRIVER_BIN=$(command -v chromedriver)"

if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  log "using the PostgreSQL given in TEST_POSTGRES_URL"
  echo "export TEST_POSTGRES_URL='${TEST_POSTGRES_URL}'"
  exit 0
fi

PG_PORT="${TEST_POSTGRES_PORT:-5432}"
version="$(pg_lsclusters -h | awk 'NR==1 {print $1}')"
if [ -z "$version" ]; then
  version="$(ls /usr/lib/postgresql | sort -n | tail -n 1)"
  log "creating PostgreSQL $version cluster"
  as_root pg_createcluster "$version" main --port "$PG_PORT" >&2
fi
cluster_port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
  log "starting PostgreSQL $version on port $cluster_port"
  as_root pg_ctlcluster "$version" main start >&2
fi
for _ in $(seq 1 30); do
  as_root su postgres -c "pg_isready -q -p $cluster_port" && break
  sleep 1
done

psql_admin() { as_root su postgres -c "psql -v ON_ERROR_STOP=1 -qAt -p $cluster_port $*"; }
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = 'nssf_test'\"")" != "1" ]; then
  log "creating role nssf_test"
  psql_admin "-c \"CREATE ROLE nssf_test LOGIN PASSWORD 'nssf_test'\"" >&2
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = 'nssf_test'\"")" != "1" ]; then
  log "creating database nssf_test"
  psql_admin "-c \"CREATE DATABASE nssf_test OWNER nssf_test\"" >&2
fi
echo "export TEST_POSTGRES_URL='postgresql://nssf_test:nssf_test@127.0.0.1:${cluster_port}/nssf_test'"
