/**
 * Fail fast on a dead child: a supervisor (the demo, the test harness, the chaos driver) that
 * waits on work a worker does must not wait minutes for a worker that is gone. watchChild
 * reports an exit nobody asked for at once, naming the process and quoting the last lines of
 * its log, as a rejected promise (`failure`) the supervisor races its waits against.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";

export interface WatchOptions {
  /** How the process is named in the message, e.g. "worker-2". */
  name: string;
  child: ChildProcess;
  /** Where its output goes (a file), or a function returning its output so far. */
  log: { file: string } | { text: () => string };
  /** Lines of the log to quote (default 20). */
  lines?: number;
}

export interface Watch {
  /** Rejects with a ChildExitedError when the child exits before `expectExit()`; else never settles. */
  readonly failure: Promise<never>;
  /** The exit that comes next is asked for (a stop, a kill): not a failure. */
  expectExit(): void;
  /** Resolves when the child has exited (either way). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export class ChildExitedError extends Error {
  constructor(
    message: string,
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
  ) {
    super(message);
    this.name = "ChildExitedError";
  }
}

/** The last `n` non-empty lines of a text. */
export function lastLines(text: string, n: number): string[] {
  return text.split("\n").filter((l) => l.trim() !== "").slice(-n);
}

function readLog(log: WatchOptions["log"]): { text: string; where: string } {
  if ("file" in log) {
    try {
      return { text: fs.readFileSync(log.file, "utf8"), where: log.file };
    } catch (error) {
      return { text: `(cannot read ${log.file}: ${(error as Error).message})`, where: log.file };
    }
  }
  return { text: log.text(), where: "its output" };
}

/** "worker (pid 123) exited unexpectedly with code 1; last lines of LOG:\n  …" */
export function describeExit(
  options: Pick<WatchOptions, "name" | "log" | "lines">,
  pid: number | undefined,
  code: number | null,
  signal: NodeJS.Signals | null,
): string {
  const { text, where } = readLog(options.log);
  const lines = lastLines(text, options.lines ?? 20);
  const how = signal ? `signal ${signal}` : `code ${code}`;
  return `${options.name} (pid ${pid ?? "?"}) exited unexpectedly with ${how}; ` +
    (lines.length
      ? `last ${lines.length} line(s) of ${where}:\n${lines.map((l) => `  ${l}`).join("\n")}`
      : `${where} is empty`);
}

export function watchChild(options: WatchOptions): Watch {
  let expected = false;
  let fail!: (error: ChildExitedError) => void;
  const failure = new Promise<never>((_, reject) => (fail = reject));
  failure.catch(() => undefined); // a supervisor that never races it must not crash on it
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      resolve({ code, signal });
      if (!expected) {
        fail(
          new ChildExitedError(
            describeExit(options, options.child.pid, code, signal),
            code,
            signal,
          ),
        );
      }
    };
    if (options.child.exitCode !== null || options.child.signalCode !== null) {
      onExit(options.child.exitCode, options.child.signalCode);
    } else options.child.once("exit", onExit);
  });
  return {
    failure,
    exited,
    expectExit() {
      expected = true;
    },
  };
}

/** `work`, unless a watched child dies first: then its ChildExitedError. */
export function unlessDead<T>(work: Promise<T>, ...watches: readonly Watch[]): Promise<T> {
  return Promise.race([work, ...watches.map((w) => w.failure)]);
}
