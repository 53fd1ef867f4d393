# Parametric claims worker: every entry point an engineer or CI needs.
# `make demo` runs the main job end to end on local services; `make test` is the full check.
SHELL := /bin/bash
.DEFAULT_GOAL := help

DENO := npx --no-install deno
NODE_TS := node --import tsx
# Under Deno: every suite but the chaos run (its driver is a Node script; its workers run
# on either runtime, see `make chaos RUNTIME=deno`). tests/temporal's workers run on Deno there.
DENO_TESTS := $(wildcard tests/smoke tests/unit tests/integration tests/cli tests/badinput tests/temporal tests/monitoring)

.PHONY: help install services cluster-stop build lint fmt typecheck test test-node test-deno \
	test-cluster demo bench \
	bench-calculator bench-storage bench-locks bench-daily-run bench-daily-run-sweep \
	bench-daily-run-million bench-cli-startup chaos clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json ## install npm dependencies (npm ci)

# `make services TEMPORAL=postgres` (services named on the command line) also starts a background
# Temporal server on PostgreSQL; TEMPORAL=postgres on demo or bench-daily-run starts their own.
services: ## check or start PostgreSQL and Redis; build the Temporal CLI and server into .cache/bin (make services TEMPORAL=postgres also starts a Temporal server on PostgreSQL in the background)
	@bash scripts/services.sh
	@$(if $(and $(filter services,$(MAKECMDGOALS)),$(filter postgres,$(TEMPORAL))),$(NODE_TS) scripts/temporal-cluster.ts start,true)

cluster-stop: install ## stop the Temporal server of `make services TEMPORAL=postgres` and drop its two databases (KEEP=1 keeps them)
	@$(NODE_TS) scripts/temporal-cluster.ts stop

build: install ## dist/: the CLI as JavaScript (dist/cli.js, the package's `claims` bin) and the prebuilt workflow bundle; no-op when up to date
	npm run --silent build

lint: install ## deno lint + deno fmt --check over the whole repository
	$(DENO) lint
	$(DENO) fmt --check

fmt: install ## format every file
	$(DENO) fmt

typecheck: install ## tsc --noEmit (strict, noUncheckedIndexedAccess)
	npx --no-install tsc -p tsconfig.json

test: install services lint typecheck build test-node test-deno test-cluster ## lint, typecheck, build, every suite under Node and under Deno, then tests/temporal and the demo on the Temporal server on PostgreSQL

# The CLI processes the Node suites start run the build (node dist/cli.js): what the image runs.
test-node: install services build ## the node:test suites under Node (one Temporal dev server for the run)
	CLAIMS_CLI=dist $(NODE_TS) scripts/run-tests.ts tests

test-deno: install services build ## the same suites under Deno, Temporal workers on Deno too (one dev server for the run)
	$(NODE_TS) scripts/run-tests.ts --runtime deno $(DENO_TESTS)

# The production shape: the real Temporal server (v1.29.1, history + visibility databases in
# PostgreSQL, 4 history shards; scripts/lib/temporal-cluster.ts), one per suite run, dropped after.
test-cluster: install services build ## tests/temporal under Node and under Deno, then the demo, against a Temporal server on PostgreSQL
	$(NODE_TS) scripts/run-tests.ts --temporal postgres tests/temporal
	$(NODE_TS) scripts/run-tests.ts --temporal postgres --runtime deno tests/temporal
	METRICS_PORT=0 $(NODE_TS) scripts/demo.ts --temporal postgres

demo: install services ## the main job end to end on local services (KEEP=1 leaves worker + Temporal running; TEMPORAL=postgres on the Temporal server on PostgreSQL)
	$(NODE_TS) scripts/demo.ts

bench-calculator: install ## calculator: 10,000 policies x 1,000,000 events vs the sort floor -> bench/results/calculator.json
	$(NODE_TS) bench/calculator.ts

bench-locks: install services ## lock acquire+release vs raw round trips, Redis and PostgreSQL -> bench/results/locks.json
	$(NODE_TS) bench/locks.ts

bench-storage: install services ## 100,000 policy-days: fenced batched writes vs single transactions vs plain upserts -> bench/results/storage.json
	$(NODE_TS) bench/storage.ts

bench-daily-run: install services ## daily run of POLICIES (100000) via Temporal vs floor and naive, scaling (MAX_LOAD=n waits for a quiet machine; RUNTIME=deno adds a Deno worker's main runs beside Node's; TEMPORAL=postgres adds the main runs on a Temporal server on PostgreSQL -> daily-run-postgres.json) -> bench/results/daily-run.json + .svg
	$(NODE_TS) bench/daily-run.ts --policies $(or $(POLICIES),100000) $(if $(MAX_LOAD),--max-load $(MAX_LOAD)) $(if $(RUNTIME),--runtime $(RUNTIME)) $(if $(TEMPORAL),--temporal $(TEMPORAL))

bench-daily-run-sweep: install services ## chunk size x batch size x batches in flight for the daily run of 100,000 policies -> bench/results/daily-run-sweep.json
	$(NODE_TS) bench/daily-run-sweep.ts --policies $(or $(POLICIES),100000)

bench-daily-run-million: install services ## one daily run of 1,000,000 policies: time, worker peak RSS, continue-as-new -> bench/results/daily-run-million.json
	$(NODE_TS) bench/daily-run-million.ts --policies $(or $(POLICIES),1000000)

bench-cli-startup: build ## start-up of claims --help / calc / report --help: built, tsx and Deno, beside node -e 0 (MAX_LOAD=n waits for a quiet machine) -> bench/results/cli-startup.json
	$(NODE_TS) bench/cli-startup.ts $(if $(MAX_LOAD),--max-load $(MAX_LOAD))

bench: bench-calculator bench-storage bench-locks bench-daily-run bench-cli-startup ## every benchmark, one after the other -> bench/results/

chaos: install services ## full chaos run: 10,000+ policy-days, 3 workers, every fault (SEED=n to replay; RUNTIME=deno|mixed for Deno workers; PROFILE=cluster on the Temporal server on PostgreSQL, restarted 3 times) -> bench/results/chaos-<profile>-*.json
	$(NODE_TS) scripts/chaos/run.ts --profile $(or $(PROFILE),full) $(if $(SEED),--seed $(SEED)) $(if $(RUNTIME),--runtime $(RUNTIME))

clean: ## remove caches and dist/ (keeps the built Temporal CLI)
	rm -rf .cache/logs .cache/tmp dist
