#!/usr/bin/env bash
# Brings up what the project needs on this machine, idempotently and quickly when all is up:
#   PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 (checked with a real connection,
#   started with this machine's standard commands when down), and the Temporal CLI dev-server
#   binary at .cache/bin/temporal (built from Go modules, never downloaded prebuilt), and the
#   tools tests use to start private servers: openssl, the PostgreSQL server binaries (initdb,
#   pg_ctl) and a redis-server built with TLS (Debian packages, installed when missing).
# Shared by `make services`, the test runner and .ci/run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
TEMPORAL_BIN="${TEMPORAL_BIN:-$root/.cache/bin/temporal}"
PGHOST_CHECK="${PGHOST_CHECK:-127.0.0.1}"
PGPORT_CHECK="${PGPORT_CHECK:-5432}"
REDIS_HOST_CHECK="${REDIS_HOST_CHECK:-127.0.0.1}"
REDIS_PORT_CHECK="${REDIS_PORT_CHECK:-6379}"
WAIT_SECONDS="${SERVICES_WAIT_SECONDS:-30}"

say() { printf 'services: %s\n' "$*"; }
fail() { printf 'services: ERROR: %s\n' "$*" >&2; exit 1; }

postgres_up() {
  command -v psql >/dev/null 2>&1 || fail "psql not found; install the PostgreSQL client (apt-get install postgresql-client)"
  timeout 5 psql "host=$PGHOST_CHECK port=$PGPORT_CHECK user=postgres dbname=postgres connect_timeout=3" \
    -Atqc 'select 1' >/dev/null 2>&1
}

redis_up() {
  command -v redis-cli >/dev/null 2>&1 || fail "redis-cli not found; install redis-tools (apt-get install redis-tools)"
  [ "$(timeout 5 redis-cli -h "$REDIS_HOST_CHECK" -p "$REDIS_PORT_CHECK" ping 2>/dev/null)" = "PONG" ]
}

wait_for() { # name check-function
  local name="$1" check="$2" i
  for ((i = 0; i < WAIT_SECONDS * 4; i++)); do
    if "$check"; then return 0; fi
    sleep 0.25
  done
  return 1
}

start_postgres() {
  command -v pg_ctlcluster >/dev/null 2>&1 || return 1
  local version
  version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$version" ] || return 1
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 || return 1
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT_CHECK" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 || true
}

ensure_service() { # name up-check start-function
  local name="$1" check="$2" start="$3"
  if "$check"; then say "$name is up"; return 0; fi
  say "$name is down; starting it"
  "$start" || true
  if wait_for "$name" "$check"; then say "$name started"; return 0; fi
  fail "$name is not reachable and could not be started (see the troubleshooting section of README.md)"
}

ensure_temporal_cli() {
  if [ -x "$TEMPORAL_BIN" ]; then say "temporal CLI present ($TEMPORAL_BIN)"; return 0; fi
  if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
    fail "Temporal CLI missing at $TEMPORAL_BIN and Go is not installed. Install Go (https://go.dev/dl) and rerun, or build the CLI elsewhere with 'go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION' and copy it to $TEMPORAL_BIN"
  fi
  local go_cmd
  go_cmd="$(command -v go || echo /usr/local/go/bin/go)"
  say "building the Temporal CLI $TEMPORAL_CLI_VERSION from Go modules (first run only; several minutes)"
  local started=$SECONDS
  mkdir -p "$(dirname "$TEMPORAL_BIN")"
  GOBIN="$(dirname "$TEMPORAL_BIN")" "$go_cmd" install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" ||
    fail "building the Temporal CLI failed (command: GOBIN=$(dirname "$TEMPORAL_BIN") go install github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION)"
  say "temporal CLI built in $((SECONDS - started)) s"
}

apt_install() { # package...
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    fail "missing $*: install it (apt-get install $*)"
  fi
  say "installing $* (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; } ||
    fail "apt-get install $* failed"
}

# Private servers in tests (tests/support/private-postgres.ts, private-redis.ts, test-ca.ts).
ensure_test_tools() {
  command -v openssl >/dev/null 2>&1 || apt_install openssl
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${PG_BIN:-}" ]; then
    apt_install postgresql
  fi
  # A redis-server without TLS refuses --tls-port as an unknown directive.
  if timeout 5 redis-server --port 0 --tls-port 1 --tls-cert-file /nonexistent 2>&1 | grep -qi "bad directive\|unrecognized"; then
    fail "redis-server was built without TLS; install Debian's redis-server (built with TLS)"
  fi
  say "test tools present (openssl, initdb, redis-server with TLS)"
}

case "${1:-all}" in
  all)
    ensure_service PostgreSQL postgres_up start_postgres
    ensure_service Redis redis_up start_redis
    ensure_temporal_cli
    ensure_test_tools
    ;;
  tools) ensure_test_tools ;;
  postgres) ensure_service PostgreSQL postgres_up start_postgres ;;
  redis) ensure_service Redis redis_up start_redis ;;
  temporal) ensure_temporal_cli ;;
  *) fail "unknown target '$1' (expected all, postgres, redis, temporal or tools)" ;;
esac
