#!/usr/bin/env bash
# PostgreSQL for the store's PostgreSQL tests (crates/palisade-store/tests/it/postgres.rs).
# As root: installs Debian's `postgresql` when missing, creates and starts a cluster named
# `palisade` listening on 127.0.0.1:55432 (and its unix socket) only, a `palisade` user and
# a `palisade_test` database, then writes the connection URL to target/pg-url and
# `export PALISADE_PG_URL=…` to target/pg-env (scripts/test sources it). Not root: skips
# with a reason, and the tests skip too. With CI set, any failure here fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."

PORT="${PALISADE_PG_PORT:-55432}"
CLUSTER=palisade
DB=palisade_test
ROLE=palisade
PASSWORD=palisade-test
mkdir -p target
rm -f target/pg-url target/pg-env

skip() {
  echo "setup-postgres: $*; the PostgreSQL store tests will skip"
  if [ -n "${CI:-}" ]; then
    echo "setup-postgres: CI is set, so PostgreSQL must be available" >&2
    exit 1
  fi
  exit 0
}

if [ "$(id -u)" != 0 ]; then
  skip "not root (cannot install or start PostgreSQL)"
fi

server_bin() { ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n 1; }

if ! command -v pg_createcluster >/dev/null || [ -z "$(server_bin)" ]; then
  echo "setup-postgres: installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends postgresql >/dev/null; then
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends postgresql >/dev/null || skip "apt-get install postgresql failed"
  fi
fi
BIN="$(server_bin)"
[ -n "$BIN" ] || skip "no PostgreSQL server binary after install"
VERSION="$(basename "$(dirname "$(dirname "$BIN")")")"

if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$VERSION $CLUSTER"; then
  pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" >/dev/null || skip "pg_createcluster failed"
  # Loopback only; a throwaway test cluster needs no fsync.
  cat >"/etc/postgresql/$VERSION/$CLUSTER/conf.d/palisade.conf" <<'CONF'
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
max_connections = 200
CONF
fi
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $3}')"
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1==v && $2==c {print $4}' | grep -q online; then
  pg_ctlcluster "$VERSION" "$CLUSTER" start || skip "pg_ctlcluster start failed"
fi
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && break
  sleep 0.2
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || skip "the cluster did not become ready on port $PORT"

psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" "$@"; }
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
  psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
fi
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE $DB OWNER $ROLE"
fi

URL="postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
echo "$URL" >target/pg-url
echo "export PALISADE_PG_URL=$URL" >target/pg-env
echo "setup-postgres: PostgreSQL $VERSION cluster $CLUSTER ready at $URL"
