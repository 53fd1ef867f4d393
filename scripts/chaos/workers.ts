/**
 * The worker processes of the run: `claims worker` per slot, on Node (`node --import tsx
 * src/cli/main.ts worker`) or on Deno (`deno run -A src/cli/main.ts worker`) as the slot's
 * runtime says (a mixed fleet alternates them), each incarnation logging to its own file, restarted whenever it ends (SIGKILL by the fault
 * scheduler, or an exit nobody asked for, which is recorded). A scraper reads each live
 * worker's counters every second: a SIGKILLed worker loses its in-memory counters, so the last
 * scrape before its death is what the report can count.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { freePort } from "../lib/free-port.ts";
import { type Runtime, scriptCommand } from "../lib/runtimes.ts";
import { signalChild } from "../lib/signal-child.ts";
import { ChildExitedError, describeExit } from "../lib/watch-child.ts";
import { repoRoot } from "../lib/temporal-dev-server.ts";
import { type CounterSnapshot, parseCounters, scrape } from "./metrics.ts";
import { sleep, type Timeline } from "./timeline.ts";

const READY_TIMEOUT_MS = 120_000;

/**
 * killed/stopped: the harness did it; unexpected: a running worker exited on its own;
 * failed-start: it exited before it was ready (e.g. Temporal down while it started: exit 3).
 */
export type EndCause = "killed" | "stopped" | "unexpected" | "failed-start";

export interface Incarnation {
  slot: string;
  runtime: Runtime;
  pid: number;
  logFile: string;
  metricsPort: number;
  startedAt: string;
  readyAt: string | null;
  endedAt: string | null;
  exit: { code: number | null; signal: string | null } | null;
  cause: EndCause | null;
  /** Counters at the last successful scrape. */
  counters: CounterSnapshot;
  /** SIGSTOPped right now. */
  frozen: boolean;
}

interface Slot {
  name: string;
  runtime: Runtime;
  child: ChildProcess | undefined;
  current: Incarnation | undefined;
  /** Resolves when the current incarnation's process has exited. */
  exited: Promise<void>;
  /** Set while the harness ends this incarnation on purpose (kill or stop). */
  ending: EndCause | undefined;
}

export interface WorkerPoolOptions {
  count: number;
  /** The slots' runtimes, in turn: ["node", "deno"] makes slots 1 and 3 Node, slot 2 Deno. */
  runtimes: readonly Runtime[];
  env: Record<string, string>;
  workflowBundle: string;
  logDir: string;
  timeline: Timeline;
}

export class WorkerPool {
  readonly incarnations: Incarnation[] = [];
  readonly #slots: Slot[];
  readonly #options: WorkerPoolOptions;
  #closing = false;
  #scraper: Promise<void> | undefined;
  #fail!: (error: ChildExitedError) => void;
  /** Rejects when a ready worker exits without being asked (the run then stops and fails). */
  readonly failure: Promise<never> = new Promise<never>((_, reject) => (this.#fail = reject));

  constructor(options: WorkerPoolOptions) {
    this.failure.catch(() => undefined); // raced by run.ts; never an unhandled rejection
    this.#options = options;
    this.#slots = Array.from({ length: options.count }, (_, i) => ({
      name: `worker-${i + 1}`,
      runtime: options.runtimes[i % options.runtimes.length]!,
      child: undefined,
      current: undefined,
      exited: Promise.resolve(),
      ending: undefined,
    }));
  }

  get slotNames(): string[] {
    return this.#slots.map((s) => s.name);
  }

  async startAll(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => this.#launch(slot)));
    this.#scraper = this.#scrapeLoop();
  }

  /** The live (started, not frozen) incarnation of a slot. */
  live(slotName: string): Incarnation | undefined {
    const slot = this.#slot(slotName);
    const current = slot.current;
    return current && current.endedAt === null ? current : undefined;
  }

  /** SIGKILL, then a new incarnation in the same slot (returned once it is ready). */
  async kill(slotName: string): Promise<{ killed: Incarnation; next: Incarnation | undefined }> {
    const slot = this.#slot(slotName);
    const victim = slot.current;
    if (!victim || victim.endedAt !== null) throw new Error(`${slotName} is not running`);
    slot.ending = "killed";
    if (slot.child) signalChild(slot.child, "SIGKILL");
    await slot.exited;
    const next = await this.#respawn(slot);
    return { killed: victim, next };
  }

  freeze(slotName: string): Incarnation {
    const current = this.live(slotName);
    if (!current) throw new Error(`${slotName} is not running`);
    process.kill(current.pid, "SIGSTOP");
    current.frozen = true;
    return current;
  }

  thaw(slotName: string): Incarnation {
    const current = this.#slot(slotName).current;
    if (!current) throw new Error(`${slotName} has no process`);
    process.kill(current.pid, "SIGCONT");
    current.frozen = false;
    return current;
  }

  /** SIGTERM every worker (they drain and exit 0); returns the ones that did not exit cleanly. */
  async stopAll(timeoutMs = 60_000): Promise<Incarnation[]> {
    await this.#scrapeOnce();
    this.#closing = true;
    await Promise.all(this.#slots.map(async (slot) => {
      const child = slot.child;
      if (!child || slot.current?.endedAt) return;
      if (slot.current?.frozen) this.thaw(slot.name);
      slot.ending = "stopped";
      signalChild(child, "SIGTERM");
      const timer = setTimeout(() => signalChild(child, "SIGKILL"), timeoutMs);
      await slot.exited;
      clearTimeout(timer);
    }));
    await this.#scraper;
    return this.#slots.flatMap((slot) => {
      const last = slot.current;
      return last && (last.exit?.code !== 0 || last.cause !== "stopped") ? [last] : [];
    });
  }

  /** SIGKILL whatever still runs (the run failed half-way). */
  async killAll(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#slots.map(async (slot) => {
      if (!slot.child || slot.current?.endedAt) return;
      slot.ending = "killed";
      if (slot.current?.frozen) this.thaw(slot.name);
      signalChild(slot.child, "SIGKILL");
      await slot.exited;
    }));
    await this.#scraper;
  }

  #slot(name: string): Slot {
    const slot = this.#slots.find((s) => s.name === name);
    if (!slot) throw new Error(`no worker slot ${name}`);
    return slot;
  }

  /**
   * Launches until an incarnation is ready (a start fails while Temporal is down: the worker
   * exits 3, by design); undefined once the pool is closing.
   */
  async #respawn(slot: Slot): Promise<Incarnation | undefined> {
    for (let attempt = 1; !this.#closing; attempt++) {
      try {
        return await this.#launch(slot);
      } catch (error) {
        this.#options.timeline.log(
          `${slot.name}: start ${attempt} failed (${
            (error as Error).message.split("\n").slice(0, 2).join(" ")
          }); trying again`,
        );
        await sleep(Math.min(5_000, 1_000 * attempt));
      }
    }
    return undefined;
  }

  async #launch(slot: Slot): Promise<Incarnation> {
    const { timeline } = this.#options;
    const n = this.incarnations.filter((i) => i.slot === slot.name).length + 1;
    const logFile = path.join(this.#options.logDir, `${slot.name}.${n}.log`);
    const metricsPort = await freePort();
    const fd = fs.openSync(logFile, "a");
    const command = scriptCommand(slot.runtime, "src/cli/main.ts", [
      "worker",
      "--no-migrate",
      "--workflow-bundle",
      this.#options.workflowBundle,
    ]);
    const child = spawn(
      command.command,
      command.args,
      {
        cwd: repoRoot,
        env: { ...process.env, ...this.#options.env, METRICS_PORT: String(metricsPort) },
        stdio: ["ignore", fd, fd],
      },
    );
    fs.closeSync(fd);
    const incarnation: Incarnation = {
      slot: slot.name,
      runtime: slot.runtime,
      pid: child.pid ?? -1,
      logFile,
      metricsPort,
      startedAt: new Date().toISOString(),
      readyAt: null,
      endedAt: null,
      exit: null,
      cause: null,
      counters: {},
      frozen: false,
    };
    this.incarnations.push(incarnation);
    slot.child = child;
    slot.current = incarnation;
    slot.ending = undefined;
    slot.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        incarnation.endedAt = new Date().toISOString();
        incarnation.exit = { code, signal };
        incarnation.cause = slot.ending ??
          (incarnation.readyAt ? "unexpected" : "failed-start");
        incarnation.frozen = false;
        resolve();
        // A failed start is retried by whoever launched it (#respawn); a running worker that
        // died on its own fails the run at once, named, with the last lines of its log.
        if (incarnation.cause === "unexpected" && !this.#closing) {
          const why = describeExit(
            { name: slot.name, log: { file: logFile } },
            child.pid,
            code,
            signal,
          );
          timeline.log(why);
          this.#fail(new ChildExitedError(why, code, signal));
        }
      });
    });
    await this.#waitReady(incarnation, child);
    return incarnation;
  }

  async #waitReady(incarnation: Incarnation, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const text = fs.readFileSync(incarnation.logFile, "utf8");
      if (text.includes('"msg":"worker running"')) {
        incarnation.readyAt = new Date().toISOString();
        return;
      }
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${incarnation.slot} (pid ${incarnation.pid}) exited before it was ready:\n${
            text.slice(-2_000)
          }`,
        );
      }
      if (Date.now() > deadline) {
        signalChild(child, "SIGKILL");
        throw new Error(`${incarnation.slot} not ready after ${READY_TIMEOUT_MS} ms`);
      }
      await sleep(200);
    }
  }

  async #scrapeOnce(): Promise<void> {
    await Promise.all(this.#slots.map(async (slot) => {
      const current = slot.current;
      if (!current || current.endedAt || current.frozen || !current.readyAt) return;
      const text = await scrape(current.metricsPort, 800);
      if (text !== null && !current.endedAt) current.counters = parseCounters(text);
    }));
  }

  async #scrapeLoop(): Promise<void> {
    while (!this.#closing) {
      await this.#scrapeOnce();
      await sleep(1_000);
    }
  }
}
