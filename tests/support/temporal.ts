/**
 * The Temporal dev server of this test run: the runner (scripts/run-tests.ts) starts one and
 * passes its address in TEST_TEMPORAL_ADDRESS; a file run on its own starts its own.
 */
import process from "node:process";
import { after, before } from "./test.ts";
import { serviceMissing } from "./env.ts";
import { type DevServer, startTemporalDevServer } from "../../scripts/lib/temporal-dev-server.ts";

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
  let own: DevServer | undefined;
  before(async () => {
    await installQuietRuntime();
    const shared = process.env["TEST_TEMPORAL_ADDRESS"];
    if (shared) {
      handle.address = shared;
      return;
    }
    try {
      own = await startTemporalDevServer();
    } catch (error) {
      throw serviceMissing("Temporal dev server", String((error as Error).message), error);
    }
    handle.address = own.address;
  });
  after(async () => {
    await own?.stop();
  });
  return handle;
}
