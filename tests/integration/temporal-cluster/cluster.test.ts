/**
 * The self-hosted Temporal server on PostgreSQL (scripts/lib/temporal-cluster.ts) as the test
 * runner, demo, benchmark and chaos run start it: its own two databases at the release's
 * schema, 4 history shards, the namespace with the project's search attributes, state that
 * survives a restart, and nothing left behind by a stop.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "../../support/test.ts";
import { adminDatabaseUrl, serviceMissing } from "../../support/env.ts";
import { databaseUrlFor } from "../../support/database.ts";
import { connectSql } from "../../../src/store/connection.ts";
import {
  startTemporalCluster,
  type TemporalCluster,
} from "../../../scripts/lib/temporal-cluster.ts";
import { CLAIMS_SEARCH_ATTRIBUTES } from "../../../scripts/lib/temporal-namespace.ts";

async function query<T>(database: string, text: string): Promise<T[]> {
  const sql = connectSql(databaseUrlFor(database), { max: 1, applicationName: "claims-tests" });
  try {
    return [...(await sql.unsafe(text))] as unknown as T[];
  } finally {
    await sql.end({ timeout: 5 });
  }
}

describe("the Temporal server on PostgreSQL", () => {
  let cluster: TemporalCluster | undefined;

  before(async () => {
    try {
      cluster = await startTemporalCluster({ label: "itest", keepDatabases: false });
    } catch (error) {
      throw serviceMissing("Temporal server on PostgreSQL", (error as Error).message, error);
    }
  });

  after(async () => {
    await cluster?.stop();
  });

  test("its two databases hold the postgres12 schemas of v1.29.1 (history 1.18, visibility 1.9)", async () => {
    const { persistence, visibility } = cluster!.databases;
    assert.notEqual(persistence, visibility);
    const version = (db: string) =>
      query<{ v: string }>(db, "select curr_version as v from schema_version").then((r) => r[0]?.v);
    assert.equal(await version(persistence), "1.18");
    assert.equal(await version(visibility), "1.9");
  });

  test("history is split into 4 shards, each owned and persisted", async () => {
    assert.equal(cluster!.numHistoryShards, 4);
    // The history service acquires every shard at start; a shard's row appears on acquisition.
    const deadline = Date.now() + 30_000;
    let shards = 0;
    while (Date.now() < deadline) {
      [{ shards }] = await query<{ shards: number }>(
        cluster!.databases.persistence,
        "select count(*)::int as shards from shards",
      ) as [{ shards: number }];
      if (shards === 4) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(shards, 4);
  });

  test("the namespace exists with the project's search attributes, as Keywords", async () => {
    const { Connection } = await import("@temporalio/client");
    const connection = await Connection.connect({ address: cluster!.address });
    try {
      const ns = await connection.workflowService.describeNamespace({
        namespace: cluster!.namespace,
      });
      assert.equal(ns.namespaceInfo?.name, "default");
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace: cluster!.namespace,
      });
      for (const attribute of CLAIMS_SEARCH_ATTRIBUTES) {
        // temporal.api.enums.v1.IndexedValueType: 2 = KEYWORD
        assert.equal(customAttributes?.[attribute.name], 2, attribute.name);
      }
    } finally {
      await connection.close();
    }
  });

  test("a workflow started before a restart is there after it; stop drops both databases", async () => {
    const { Client, Connection } = await import("@temporalio/client");
    const workflowId = `cluster-restart-${Date.now()}`;
    let connection = await Connection.connect({ address: cluster!.address });
    await new Client({ connection }).workflow.start("NobodyRunsThis", {
      workflowId,
      taskQueue: workflowId,
    });
    await connection.close();
    const pidBefore = cluster!.pid;
    await cluster!.restart(200);
    assert.notEqual(cluster!.pid, pidBefore, "a new server process");
    connection = await Connection.connect({ address: cluster!.address });
    try {
      const client = new Client({ connection });
      const described = await client.workflow.getHandle(workflowId).describe();
      assert.equal(described.status.name, "RUNNING");
      await client.workflow.getHandle(workflowId).terminate("test done");
    } finally {
      await connection.close();
    }

    const { persistence, visibility } = cluster!.databases;
    await cluster!.stop();
    const left = await query<{ datname: string }>(
      new URL(adminDatabaseUrl).pathname.slice(1) || "postgres",
      `select datname from pg_database where datname in ('${persistence}', '${visibility}')`,
    );
    assert.deepEqual(left, []);
  });
});
