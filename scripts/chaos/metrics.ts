/**
 * Reading a worker's Prometheus counters (src/metrics/claims-metrics.ts): the policy-days by
 * outcome (`stale` = a write the fence refused), lock contention, claim rows written.
 */
import { MetricNames } from "../../src/metrics/claims-metrics.ts";

/** `name{label="v",…}` (labels sorted as exposed) → value. */
export type CounterSnapshot = Record<string, number>;

const WANTED = new Set<string>(Object.values(MetricNames));

/** The exposition text of http://127.0.0.1:PORT/metrics, or null when it does not answer. */
export async function scrape(port: number, timeoutMs: number): Promise<string | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) return null;
    return await response.text();
  } catch {
    return null;
  }
}

/** The project's counters of one exposition text (Temporal's own metrics are left out). */
export function parseCounters(text: string): CounterSnapshot {
  const out: CounterSnapshot = {};
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line.trim());
    if (!match || !WANTED.has(match[1]!)) continue;
    const value = Number(match[3]);
    if (Number.isFinite(value)) out[`${match[1]}${match[2] ?? ""}`] = value;
  }
  return out;
}

/** Sums snapshots key by key. */
export function sumCounters(snapshots: readonly CounterSnapshot[]): CounterSnapshot {
  const out: CounterSnapshot = {};
  for (const s of snapshots) {
    for (const [key, value] of Object.entries(s)) out[key] = (out[key] ?? 0) + value;
  }
  return out;
}

/** The value of `name` with exactly the given label (e.g. status="stale"), 0 when absent. */
export function counter(snapshot: CounterSnapshot, name: string, label?: string): number {
  return snapshot[label ? `${name}{${label}}` : name] ?? 0;
}
