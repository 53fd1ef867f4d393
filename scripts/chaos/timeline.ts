/**
 * The run's clock and its log: every line says when (ISO time and seconds since the start), so
 * that a fault, the retries it caused and the moment things converged can be lined up with
 * the workers' own logs afterwards.
 */
import fs from "node:fs";

export interface TimelineEntry {
  at: string;
  offsetMs: number;
  message: string;
}

export class Timeline {
  readonly startedAt = Date.now();
  readonly #entries: TimelineEntry[] = [];
  readonly #file: string | undefined;
  readonly #echo: boolean;

  constructor(options: { file?: string; echo?: boolean } = {}) {
    this.#file = options.file;
    this.#echo = options.echo ?? true;
  }

  /** Milliseconds since the run started. */
  elapsed(now = Date.now()): number {
    return now - this.startedAt;
  }

  log(message: string): TimelineEntry {
    const now = Date.now();
    const entry = { at: new Date(now).toISOString(), offsetMs: this.elapsed(now), message };
    this.#entries.push(entry);
    const line = `[${(entry.offsetMs / 1000).toFixed(1).padStart(6)} s] ${message}`;
    if (this.#echo) console.log(line);
    if (this.#file) fs.appendFileSync(this.#file, `${entry.at} ${line}\n`);
    return entry;
  }

  entries(): readonly TimelineEntry[] {
    return this.#entries;
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Calls `fn` until it resolves, pausing between attempts, for at most `timeoutMs`. */
export async function retrying<T>(
  what: string,
  fn: () => Promise<T>,
  options: { timeoutMs: number; pauseMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${what}: still failing after ${options.timeoutMs} ms`, {
        cause: lastError,
      });
    }
    await sleep(options.pauseMs ?? 1_000);
  }
}
