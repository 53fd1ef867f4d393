/**
 * The self-hosted Temporal server's configuration (scripts/lib/temporal-cluster-config.ts):
 * production-shaped where it matters (two stores, several shards), local where it must be
 * (loopback only), and refusing what the server would only reject after start.
 */
import assert from "node:assert/strict";
import { test } from "../../support/test.ts";
import {
  type ClusterConfigInput,
  clusterConfigYaml,
  type ClusterPorts,
} from "../../../scripts/lib/temporal-cluster-config.ts";
import { bindFailure } from "../../../scripts/lib/temporal-cluster.ts";

const ports: ClusterPorts = {
  frontendGrpc: 21001,
  frontendHttp: 21002,
  frontendMembership: 21003,
  historyGrpc: 21004,
  historyMembership: 21005,
  matchingGrpc: 21006,
  matchingMembership: 21007,
  workerGrpc: 21008,
  workerMembership: 21009,
};

const input: ClusterConfigInput = {
  numHistoryShards: 4,
  ports,
  postgres: { host: "127.0.0.1", port: 5432, user: "postgres", password: 'p"w: #1' },
  databases: { persistence: "temporal_x_1", visibility: "temporal_x_1_visibility" },
  maxConns: { persistence: 10, visibility: 4 },
  dynamicConfigFile: "/repo/deploy/temporal/dynamic-config.yaml",
  logLevel: "warn",
};

test("two PostgreSQL stores (history and visibility), each its own database", () => {
  const yaml = clusterConfigYaml(input);
  assert.match(yaml, /defaultStore: "default"\n {2}visibilityStore: "visibility"/);
  assert.equal(yaml.match(/pluginName: "postgres12"/g)?.length, 2);
  assert.match(yaml, /databaseName: "temporal_x_1"\n/);
  assert.match(yaml, /databaseName: "temporal_x_1_visibility"\n/);
  // JSON quoting keeps a password with quotes, colons and hashes one YAML scalar.
  assert.equal(yaml.match(/password: "p\\"w: #1"/g)?.length, 2);
});

test("history shards: 4 by default and never fewer", () => {
  assert.match(clusterConfigYaml(input), /numHistoryShards: 4\n/);
  assert.match(clusterConfigYaml({ ...input, numHistoryShards: 16 }), /numHistoryShards: 16\n/);
  for (const bad of [1, 3, 4.5]) {
    assert.throws(() => clusterConfigYaml({ ...input, numHistoryShards: bad }), /numHistoryShards/);
  }
});

test("every service binds the loopback only, on its own ports", () => {
  const yaml = clusterConfigYaml(input);
  assert.equal(yaml.match(/bindOnLocalHost: true/g)?.length, 4);
  assert.match(yaml, /broadcastAddress: "127.0.0.1"/);
  for (const port of Object.values(ports)) assert.match(yaml, new RegExp(`: ${port}\\n`));
  assert.match(yaml, /rpcAddress: "127.0.0.1:21001"/);
  assert.match(yaml, /hostPort: "127.0.0.1:21001"/);
  assert.doesNotMatch(yaml, /0\.0\.0\.0/);
});

test("metrics and pprof stay off unless a metrics port is given", () => {
  const off = clusterConfigYaml(input);
  assert.doesNotMatch(off, /prometheus/);
  assert.match(off, /pprof:\n {4}port: 0\n/);
  const on = clusterConfigYaml({ ...input, ports: { ...ports, metrics: 21010 } });
  assert.match(on, /listenAddress: "127.0.0.1:21010"/);
});

test("ports: duplicates and membership ports above 32767 are refused before start", () => {
  assert.throws(
    () => clusterConfigYaml({ ...input, ports: { ...ports, historyGrpc: 21001 } }),
    /distinct/,
  );
  // cluster_membership.rpc_port is a SMALLINT: the server would die at start.
  assert.throws(
    () => clusterConfigYaml({ ...input, ports: { ...ports, historyMembership: 40000 } }),
    /membership ports must be <= 32767/,
  );
});

test("a start that could not bind names the address (the server's own log line)", () => {
  const line = '{"level":"fatal","msg":"Failed to start ringpop listener","error":"listen tcp ' +
    '127.0.0.1:24293: bind: address already in use","address":"127.0.0.1:24293"}';
  assert.equal(bindFailure(line), "127.0.0.1:24293");
  assert.equal(bindFailure('{"level":"fatal","msg":"unable to initialize membership"}'), null);
});
