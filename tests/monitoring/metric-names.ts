/**
 * The metric names the dashboard and the alert rules use, read from their files: every
 * `claims_*`, `process_*`, `nodejs_*` and `temporal_*` name in a query (label matchers and
 * recording rules left out), histogram series mapped to their histogram.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const monitoringDir = path.join(repoRoot, "monitoring");
export const dashboardFile = path.join(monitoringDir, "grafana/dashboards/claims-worker.json");
export const rulesFile = path.join(monitoringDir, "prometheus/claims-alerts.yml");

const NAME = /(?<![A-Za-z0-9_:])(?:claims|process|nodejs|temporal)_[A-Za-z0-9_]+(?![A-Za-z0-9_:])/g;

/** Names in a PromQL text (label matchers `{…}` removed first: their values are not names). */
export function metricNames(text: string): Set<string> {
  const bare = text.replace(/\{[^{}]*\}/g, "");
  return new Set([...bare.matchAll(NAME)].map((m) => m[0]));
}

/** Every query of the dashboard. */
export function dashboardQueries(): string[] {
  const dashboard = JSON.parse(fs.readFileSync(dashboardFile, "utf8")) as {
    panels: { targets?: { expr?: string }[] }[];
  };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ""));
}

/** The rules file's text (expressions and annotations, which name metrics to look at). */
export function rulesText(): string {
  return fs.readFileSync(rulesFile, "utf8");
}

/** The metric a series name belongs to: `x_bucket`, `x_sum`, `x_count` of a histogram x. */
export function familyOf(name: string, histograms: ReadonlySet<string>): string {
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return base !== name && histograms.has(base) ? base : name;
}
