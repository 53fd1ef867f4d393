/**
 * Workflow code must replay the histories of runs started by earlier versions: a rolling deploy
 * hands in-flight daily runs and reruns to new workers mid-run. Each recorded history
 * (fixtures/histories) is replayed with today's bundle; a changed command sequence without a
 * patch fails here with a determinism error.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import proto from "@temporalio/proto";
import { Worker } from "@temporalio/worker";
import { describe, test } from "../support/test.ts";
import { prebuiltWorkflowBundle } from "../support/workers.ts";

const directory = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures/histories");
const files = fs.readdirSync(directory).filter((f) => f.endsWith(".binpb")).sort();
const { History } = proto.temporal.api.history.v1;

describe("recorded histories replay with today's workflows", () => {
  test("there are histories to replay", () => {
    assert.ok(files.length >= 5, `found ${files.length} histories in ${directory}`);
  });

  for (const file of files) {
    test(file, async () => {
      // Binary protobuf, decoded by the SDK's own proto classes: its JSON history loader trips
      // over the several protobufjs copies npm installs (instanceof across copies).
      const history = History.decode(fs.readFileSync(path.join(directory, file)));
      assert.ok(history.events.length > 0);
      const workflowBundle = { codePath: await prebuiltWorkflowBundle() };
      await Worker.runReplayHistory({ workflowBundle }, history, `replay-${file}`);
    });
  }
});
