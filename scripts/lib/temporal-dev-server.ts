/**
 * Starts the Temporal CLI dev server from the binary that `make services` builds into
 * .cache/bin (never a download), on free loopback ports, with SQLite in WAL mode (the
 * default journal makes the dev server several times slower under load) and the project's
 * custom search attributes (temporal-namespace.ts), as a cluster registers them.
 * Shared by the test runner, the demo, the chaos run and the benchmarks.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { freePort, waitForPort } from "./free-port.ts";
import { CLAIMS_SEARCH_ATTRIBUTES } from "./temporal-namespace.ts";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const temporalBinary = process.env["TEMPORAL_BIN"] ??
  path.join(repoRoot, ".cache", "bin", "temporal");

export interface DevServerOptions {
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; the UI is off when omitted. */
  uiPort?: number;
  /** SQLite file that keeps workflows across restarts; in memory when omitted. */
  dbFile?: string;
  /** Where the server's own output goes (appended); discarded when omitted. */
  logFile?: string;
  /** Detach from this process so that the server outlives it (the demo with KEEP=1). */
  detached?: boolean;
}

export interface DevServer {
  address: string;
  port: number;
  uiUrl?: string;
  pid: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function assertTemporalBinary(): void {
  if (!fs.existsSync(temporalBinary)) {
    throw new Error(
      `Temporal CLI not found at ${temporalBinary}; run 'make services' (it builds it from Go modules)`,
    );
  }
}

export async function startTemporalDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  assertTemporalBinary();
  const port = options.port ?? await freePort();
  const args = [
    "server",
    "start-dev",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--http-port",
    String(await freePort()),
    "--metrics-port",
    String(await freePort()),
    "--log-level",
    "warn",
    "--sqlite-pragma",
    "journal_mode=WAL",
    "--sqlite-pragma",
    "synchronous=NORMAL",
    // The project's search attributes, as a cluster registers them (temporal-namespace.ts).
    ...CLAIMS_SEARCH_ATTRIBUTES.flatMap((a) => ["--search-attribute", `${a.name}=${a.type}`]),
  ];
  if (options.uiPort) args.push("--ui-port", String(options.uiPort), "--ui-ip", "127.0.0.1");
  else args.push("--headless");
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push("--db-filename", options.dbFile);
  }
  let stdio: ("ignore" | number)[] = ["ignore", "ignore", "ignore"];
  if (options.logFile) {
    fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
    const fd = fs.openSync(options.logFile, "a");
    stdio = ["ignore", fd, fd];
  }
  const child = spawn(temporalBinary, args, { stdio, detached: options.detached ?? false });
  if (options.detached) child.unref();
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    })
  );
  try {
    await Promise.race([
      waitForPort("127.0.0.1", port, 60_000),
      exitedPromise.then(() => {
        throw new Error(
          `temporal dev server exited at start (see ${options.logFile ?? "its log"})`,
        );
      }),
    ]);
    await waitForNamespace(`127.0.0.1:${port}`);
  } catch (error) {
    if (!exited) child.kill("SIGKILL");
    throw error;
  }
  return {
    address: `127.0.0.1:${port}`,
    port,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    pid: child.pid ?? -1,
    process: child,
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

/** The port opens before the default namespace is ready; wait until the frontend answers for it. */
async function waitForNamespace(address: string): Promise<void> {
  const { Connection } = await import("@temporalio/client");
  const deadline = Date.now() + 60_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const connection = await Connection.connect({ address }).catch((e) => {
      lastError = e;
      return undefined;
    });
    if (connection) {
      try {
        await connection.workflowService.describeNamespace({ namespace: "default" });
        return;
      } catch (e) {
        lastError = e;
      } finally {
        await connection.close();
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`temporal dev server at ${address} not ready: ${String(lastError)}`);
}
