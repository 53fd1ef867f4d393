import assert from "node:assert/strict";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Client, Connection } from "@temporalio/client";
import { NativeConnection, Worker } from "@temporalio/worker";
import { test } from "../support/test.ts";
import { useTemporal } from "../support/temporal.ts";
import { createSmokeActivities } from "./fixtures/smoke-activities.ts";

const temporal = useTemporal();
const here = path.dirname(fileURLToPath(import.meta.url));

test("a workflow and its activity run on the real dev server through a real worker", async () => {
  const taskQueue = `smoke-${process.pid}-${Date.now()}`;
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: path.join(here, "fixtures", "smoke-workflows.ts"),
    activities: createSmokeActivities(),
  });
  const connection = await Connection.connect({ address: temporal.address });
  try {
    const client = new Client({ connection });
    const result = await worker.runUntil(
      client.workflow.execute("smokeWorkflow", {
        taskQueue,
        workflowId: `smoke-${taskQueue}`,
        args: ["claims"],
      }),
    );
    assert.equal(result, `hello claims from pid ${process.pid}`);
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
});
