#!/usr/bin/env bash
# Brings up what the project needs on this machine, idempotently and quickly when all is up:
#   PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 (checked with a real connection,
#   started with this machine's standard commands when down), the Temporal CLI dev-server
#   binary at .cache/bin/temporal, and the Temporal server with its schema tool at
#   .cache/bin/temporal-server and .cache/bin/temporal-sql-tool (the self-hosted cluster on
#   PostgreSQL, scripts/lib/temporal-cluster.ts), and Docker Compose's CLI at
#   .cache/bin/docker-compose unless `docker compose` works (it validates compose.yaml
#   offline: tests/integration/deploy/compose.test.ts); all built from Go modules, never downloaded
#   prebuilt. And the Debian packages the monitoring checks use: prometheus (promtool: the alert
#   rules' tests) and chromium (the dashboard screenshot), installed with apt-get when missing
#   (CI runs as root).
#   And the tools tests use to start private servers: openssl, the PostgreSQL server binaries
#   (initdb, pg_ctl) and a redis-server built with TLS (Debian packages, installed when missing).
# Shared by `make services`, the test runner and .ci/run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPORAL_CLI_VERSION="${TEMPORAL_CLI_VERSION:-v1.5.1}"
TEMPORAL_BIN="${TEMPORAL_BIN:-$root/.cache/bin/temporal}"
# The server release the CLI above pins (cli v1.5.1 -> go.temporal.io/server v1.29.1): the
# module cache that built the CLI already holds most of it.
TEMPORAL_SERVER_VERSION="${TEMPORAL_SERVER_VERSION:-v1.29.1}"
TEMPORAL_SERVER_BIN="${TEMPORAL_SERVER_BIN:-$root/.cache/bin/temporal-server}"
TEMPORAL_SQL_TOOL_BIN="${TEMPORAL_SQL_TOOL_BIN:-$root/.cache/bin/temporal-sql-tool}"
DOCKER_COMPOSE_VERSION="${DOCKER_COMPOSE_VERSION:-v5.6.0}"
DOCKER_COMPOSE_BIN="${DOCKER_COMPOSE_BIN:-$root/.cache/bin/docker-compose}"
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

apt_updated=0
ensure_debian_package() { # command package why
  local cmd="$1" pkg="$2" why="$3"
  if command -v "$cmd" >/dev/null 2>&1; then say "$cmd present ($pkg)"; return 0; fi
  if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    fail "$cmd not found ($why); install Debian's $pkg: apt-get install $pkg"
  fi
  say "installing Debian's $pkg for $cmd ($why)"
  local started=$SECONDS
  if [ "$apt_updated" = 0 ]; then
    apt-get update -qq >/dev/null 2>&1 || fail "apt-get update failed (needed to install $pkg)"
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 ||
    fail "apt-get install $pkg failed; run it by hand to see why"
  command -v "$cmd" >/dev/null 2>&1 || fail "$pkg installed but $cmd is still not on PATH"
  say "$pkg installed in $((SECONDS - started)) s"
}

ensure_monitoring_tools() {
  ensure_debian_package promtool prometheus "promtool checks and tests the alert rules"
  ensure_debian_package chromium chromium "headless screenshots of the dashboard queries"
}

go_binary() {
  if command -v go >/dev/null 2>&1; then command -v go; return 0; fi
  if [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go; return 0; fi
  return 1
}

# Present and of the pinned release ("temporal version 1.29.1"), or built again.
server_binaries_current() {
  [ -x "$TEMPORAL_SERVER_BIN" ] && [ -x "$TEMPORAL_SQL_TOOL_BIN" ] || return 1
  local want="${TEMPORAL_SERVER_VERSION#v}"
  "$TEMPORAL_SERVER_BIN" --version 2>/dev/null | grep -qx "temporal version $want" &&
    "$TEMPORAL_SQL_TOOL_BIN" --version 2>/dev/null | grep -q " version $want\$"
}

ensure_temporal_server() {
  if server_binaries_current; then
    say "temporal server $TEMPORAL_SERVER_VERSION present ($TEMPORAL_SERVER_BIN, $(basename "$TEMPORAL_SQL_TOOL_BIN"))"
    return 0
  fi
  local go_cmd
  go_cmd="$(go_binary)" ||
    fail "temporal-server missing at $TEMPORAL_SERVER_BIN and Go is not installed. Install Go (https://go.dev/dl) and rerun, or build it elsewhere with 'go install go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION' and copy server and sql to $TEMPORAL_SERVER_BIN and $TEMPORAL_SQL_TOOL_BIN"
  say "building temporal-server and temporal-sql-tool $TEMPORAL_SERVER_VERSION from Go modules (first run only; about 90 s with a warm module cache, several minutes without)"
  local started=$SECONDS staging
  staging="$(mktemp -d "${TMPDIR:-/tmp}/temporal-server-build.XXXXXX")"
  # go install names binaries after their package directories (server, sql): build into a
  # staging directory, then move them into place under names that say what they are.
  if ! GOBIN="$staging" GOFLAGS="${GOFLAGS:--buildvcs=false}" "$go_cmd" install \
    "go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION"; then
    rm -rf "$staging"
    fail "building temporal-server failed (command: GOBIN=DIR go install go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION)"
  fi
  mkdir -p "$(dirname "$TEMPORAL_SERVER_BIN")" "$(dirname "$TEMPORAL_SQL_TOOL_BIN")"
  mv -f "$staging/server" "$TEMPORAL_SERVER_BIN"
  mv -f "$staging/sql" "$TEMPORAL_SQL_TOOL_BIN"
  rm -rf "$staging"
  server_binaries_current || fail "the built temporal-server does not report version ${TEMPORAL_SERVER_VERSION#v}"
  say "temporal server built in $((SECONDS - started)) s"
}

# `docker compose config` needs no Docker engine: it loads, validates and prints compose.yaml.
ensure_docker_compose() {
  if [ -x "$DOCKER_COMPOSE_BIN" ]; then say "docker compose present ($DOCKER_COMPOSE_BIN)"; return 0; fi
  if docker compose version >/dev/null 2>&1; then say "docker compose present (docker compose)"; return 0; fi
  local go_cmd
  go_cmd="$(go_binary)" ||
    fail "Docker Compose missing (no 'docker compose', nothing at $DOCKER_COMPOSE_BIN) and Go is not installed: install Docker Compose or Go and rerun"
  say "building docker-compose $DOCKER_COMPOSE_VERSION from Go modules (first run only; a few minutes)"
  local started=$SECONDS staging
  staging="$(mktemp -d "${TMPDIR:-/tmp}/docker-compose-build.XXXXXX")"
  # Its go.mod has exclude directives, which `go install module@version` refuses: build it
  # from a throwaway module that requires it.
  if ! (cd "$staging" && "$go_cmd" mod init local/docker-compose-build >/dev/null 2>&1 &&
    "$go_cmd" get "github.com/docker/compose/v5/cmd@$DOCKER_COMPOSE_VERSION" &&
    GOFLAGS="${GOFLAGS:--buildvcs=false}" "$go_cmd" build -o "$staging/docker-compose" \
      -ldflags "-X github.com/docker/compose/v5/internal.Version=$DOCKER_COMPOSE_VERSION" \
      github.com/docker/compose/v5/cmd); then
    rm -rf "$staging"
    fail "building docker-compose $DOCKER_COMPOSE_VERSION failed (github.com/docker/compose/v5/cmd)"
  fi
  mkdir -p "$(dirname "$DOCKER_COMPOSE_BIN")"
  mv -f "$staging/docker-compose" "$DOCKER_COMPOSE_BIN"
  rm -rf "$staging"
  say "docker-compose built in $((SECONDS - started)) s"
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
    ensure_monitoring_tools
    ensure_temporal_server
    ensure_docker_compose
    ensure_test_tools
    ;;
  monitoring) ensure_monitoring_tools ;;
  tools) ensure_test_tools ;;
  postgres) ensure_service PostgreSQL postgres_up start_postgres ;;
  redis) ensure_service Redis redis_up start_redis ;;
  temporal) ensure_temporal_cli ;;
  temporal-server) ensure_temporal_server ;;
  docker-compose) ensure_docker_compose ;;
  *) fail "unknown target '$1' (expected all, postgres, redis, temporal, temporal-server, docker-compose, monitoring or tools)" ;;
esac
