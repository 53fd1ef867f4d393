/**
 * The worker's one Prometheus registry (prom-client): the process's default metrics (CPU,
 * memory, event loop lag, GC, handles; they run on Node and on Deno alike) and `claims_build_info`.
 * One registry per process, created by the worker; tests make their own.
 */
import fs from "node:fs";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import { CALCULATOR_VERSION } from "../domain/version.ts";

export { Registry };

export interface BuildInfo {
  /** The package version (package.json). */
  version: string;
  /** "node v20.20.2" or "deno 2.9.5". */
  runtime: string;
}

/** package.json's version, read once; "unknown" when it cannot be read (a stripped image). */
export function packageVersion(): string {
  try {
    const file = new URL("../../package.json", import.meta.url);
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version?: string }).version ??
      "unknown";
  } catch {
    return "unknown";
  }
}

export function createMetricsRegistry(build: BuildInfo): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: "claims_build_info",
    help: "Always 1; the labels name the version, runtime and calculator version of this worker",
    labelNames: ["version", "runtime", "calculator_version"],
    registers: [registry],
  });
  info.set({
    version: build.version,
    runtime: build.runtime,
    calculator_version: CALCULATOR_VERSION,
  }, 1);
  return registry;
}

/**
 * The current value of a metric, summed over the series whose labels include `labels` (a
 * histogram's observations count for `name_count`). For tests and the chaos report.
 */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const base = name.replace(/_(count|sum)$/, "");
  const metric = registry.getSingleMetric(name) ?? registry.getSingleMetric(base);
  if (!metric) return 0;
  const data = await metric.get();
  let sum = 0;
  for (const v of data.values) {
    if (((v as { metricName?: string }).metricName ?? data.name) !== name) continue;
    const l = v.labels as Record<string, string | number>;
    if (Object.entries(labels).every(([k, want]) => String(l[k]) === want)) sum += v.value;
  }
  return sum;
}
