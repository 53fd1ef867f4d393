/** Import files for tests, written in each format from the same objects. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after } from "../../../support/test.ts";
import { csvField } from "../../../../src/cli/format.ts";
import { CSV_COLUMNS } from "../../../../src/imports/csv-columns.ts";
import type { ImportKind } from "../../../../src/imports/records.ts";
import type { PolicyInput, RiskEventInput } from "../../../../src/domain/schemas.ts";

/** A temporary directory removed after the file's tests. */
export function useTempDir(label: string): { path: string } {
  const handle = { path: fs.mkdtempSync(path.join(os.tmpdir(), `claims-${label}-`)) };
  after(() => fs.rmSync(handle.path, { recursive: true, force: true }));
  return handle;
}

function valueAt(record: Record<string, unknown>, dotted: string): unknown {
  let node: unknown = record;
  for (const key of dotted.split(".")) node = (node as Record<string, unknown> | undefined)?.[key];
  return node;
}

export function toCsv(kind: ImportKind, records: readonly object[]): string {
  const columns = CSV_COLUMNS[kind].map((c) => c.name);
  const lines = [columns.join(",")];
  for (const record of records) {
    lines.push(
      columns.map((c) => csvField(valueAt(record as Record<string, unknown>, c))).join(","),
    );
  }
  return lines.join("\r\n") + "\r\n";
}

export function toJsonLines(records: readonly object[]): string {
  return records.map((r) => JSON.stringify(r)).join("\n") + "\n";
}

export function writeFile(dir: string, name: string, content: string | Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** Writes the same records as name.json, name.jsonl and name.csv; returns the three paths. */
export function writeAllFormats(
  dir: string,
  name: string,
  kind: ImportKind,
  records: readonly object[],
): { json: string; jsonl: string; csv: string } {
  return {
    json: writeFile(dir, `${name}.json`, JSON.stringify(records, null, 2)),
    jsonl: writeFile(dir, `${name}.jsonl`, toJsonLines(records)),
    csv: writeFile(dir, `${name}.csv`, toCsv(kind, records)),
  };
}

export function policy(id: string, overrides: Partial<PolicyInput> = {}): PolicyInput {
  return {
    id,
    region: "coastal",
    currency: "EUR",
    sumInsured: 1_000_000,
    timezone: "UTC",
    coverageStart: "2025-03-01",
    coverageEnd: "2025-03-31",
    payoutMode: "once_per_day",
    tierPayoutsBps: { tier1: 1000, tier2: 2500, tier3: 5000 },
    periodCapBps: 6000,
    ...overrides,
  };
}

export function event(id: string, overrides: Partial<RiskEventInput> = {}): RiskEventInput {
  return {
    id,
    region: "coastal",
    tier: "tier1",
    observedAt: "2025-03-10T12:00:00Z",
    status: "active",
    ...overrides,
  };
}
