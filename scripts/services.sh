#!/usr/bin/env bash
# Start what the test suite needs: PostgreSQL on 127.0.0.1:5432. Idempotent; installs it when missing.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}

pg_up() { pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  if ! pg_up; then
    echo "services: installing PostgreSQL (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  fi
fi

if ! pg_up; then
  echo "services: starting PostgreSQL" >&2
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi

if ! pg_up; then
  echo "services: PostgreSQL is not answering on $PGHOST:$PGPORT; the PostgreSQL tests cannot run" >&2
  exit 1
fi

# Trust auth for the local test user (as on this machine); make sure we can connect as postgres.
if ! psql -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
  echo "services: PostgreSQL is up but 'psql -U postgres' cannot connect on $PGHOST:$PGPORT (expects trust auth for local tests)" >&2
  exit 1
fi
echo "services: PostgreSQL ready on $PGHOST:$PGPORT"
