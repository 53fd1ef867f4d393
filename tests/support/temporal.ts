/**
 * The Temporal server of this test run: the runner (scripts/run-tests.ts) starts one (the dev
 * server, or with `--temporal postgres` the server on PostgreSQL) and passes its address in
 * TEST_TEMPORAL_ADDRESS; a file run on its own starts its own, a dev server unless
 * TEST_TEMPORAL_KIND=postgres.
 */
import process from "node:process";
import { after, before } from "./test.ts";
import { serviceMissing } from "./env.ts";
import {
  parseTemporalKind,
  startTemporal,
  type TemporalServer,
} from "../../scripts/lib/temporal-server.ts";

export interface TestTemporal {
  address: string;
}

let runtimeInstalled = false;

/** Worker logs at WARN: the SDK's INFO lines drown the test report. */
async function installQuietRuntime(): Promise<void> {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const { Runtime, DefaultLogger } = await import("@temporalio/worker");
  Runtime.install({ logger: new DefaultLogger("WARN") });
}

export function useTemporal(): TestTemporal {
  const handle = {} as TestTemporal;
  let own: TemporalServer | undefined;
  before(async () => {
    await installQuietRuntime();
    const shared = process.env["TEST_TEMPORAL_ADDRESS"];
    if (shared) {
      handle.address = shared;
      return;
    }
    const kind = parseTemporalKind(
      process.env["TEST_TEMPORAL_KIND"] ?? "dev",
      "TEST_TEMPORAL_KIND",
    );
    try {
      own = await startTemporal(kind, { label: "testfile" });
    } catch (error) {
      throw serviceMissing(`Temporal (${kind})`, String((error as Error).message), error);
    }
    handle.address = own.address;
  });
  after(async () => {
    await own?.stop();
  });
  return handle;
}
