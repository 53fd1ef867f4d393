/**
 * Valid policy and event records (SPEC §2) and their three file formats (SPEC §7), written
 * from scratch here rather than with the project's own serialisers: the bad-input suite must
 * not share a bug with the code it checks.
 */
import type { Random } from "./prng.ts";

export type ImportKind = "policies" | "events";
export type FileFormat = "json" | "jsonl" | "csv";
export const FORMATS: readonly FileFormat[] = ["json", "jsonl", "csv"];

/** A JSON number written exactly as given (1e400, 2^53 + 1): JSON.stringify cannot write them. */
export class RawNumber {
  constructor(readonly text: string) {}
}

/** An object written with its pairs as given, duplicate keys included (JSON formats only). */
export class RawObject {
  constructor(readonly pairs: readonly (readonly [string, Value])[]) {}
}

/** JSON text written verbatim (e.g. nesting deeper than any object would be built). */
export class RawJson {
  constructor(readonly text: string) {}
}

export type Value =
  | string
  | number
  | boolean
  | null
  | RawNumber
  | RawObject
  | RawJson
  | Value[]
  | { [key: string]: Value };
export type Row = { [key: string]: Value };

/** The CSV columns of SPEC §7, in the order the suite writes them. */
export const CSV_HEADER: Record<ImportKind, readonly string[]> = {
  policies: [
    "id",
    "region",
    "currency",
    "sumInsured",
    "timezone",
    "coverageStart",
    "coverageEnd",
    "payoutMode",
    "tierPayoutsBps.tier1",
    "tierPayoutsBps.tier2",
    "tierPayoutsBps.tier3",
    "periodCapBps",
  ],
  events: ["id", "region", "tier", "observedAt", "status", "source", "value"],
};

const ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/New_York", "Pacific/Chatham"];
const TIER_SETS = [[1000, 2500, 5000], [0, 0, 0], [10000, 10000, 10000], [1, 2, 3]];

/** A valid policy; `random` varies the values that no mutation depends on. */
export function validPolicy(id: string, random?: Random): Row {
  const tiers = random ? random.pick(TIER_SETS) : TIER_SETS[0]!;
  return {
    id,
    region: random ? random.pick(["coastal", "alpine", "delta"]) : "coastal",
    currency: random ? random.pick(["EUR", "USD", "JPY"]) : "EUR",
    sumInsured: random ? random.pick([1, 1_000_000, 1_000_000_000_000]) : 1_000_000,
    timezone: random ? random.pick(ZONES) : "Europe/Berlin",
    coverageStart: "2025-03-01",
    coverageEnd: "2025-03-31",
    payoutMode: random ? random.pick(["once_per_day", "per_event"]) : "once_per_day",
    tierPayoutsBps: { tier1: tiers[0]!, tier2: tiers[1]!, tier3: tiers[2]! },
    periodCapBps: random ? random.pick([1, 6000, 10000]) : 6000,
  };
}

export function validEvent(id: string, random?: Random): Row {
  const day = random ? random.int(1, 31) : 10;
  return {
    id,
    region: random ? random.pick(["coastal", "alpine", "delta"]) : "coastal",
    tier: random ? random.pick(["tier1", "tier2", "tier3"]) : "tier1",
    observedAt: `2025-03-${String(day).padStart(2, "0")}T12:00:00Z`,
    status: random ? random.pick(["active", "retracted"]) : "active",
    source: "gauge-7",
    value: random ? random.int(0, 5000) / 10 : 42.5,
  };
}

export function validRow(kind: ImportKind, id: string, random?: Random): Row {
  return kind === "policies" ? validPolicy(id, random) : validEvent(id, random);
}

/** JSON text of a value, with RawNumber written verbatim. */
export function jsonText(value: Value): string {
  if (value instanceof RawNumber || value instanceof RawJson) return value.text;
  if (value instanceof RawObject) {
    return `{${value.pairs.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")}}`;
  }
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${
      Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")
    }}`;
  }
  return JSON.stringify(value);
}

/** RFC 4180: quote a cell holding a comma, quote or line break; double the quotes. */
export function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function cellText(value: Value | undefined): string {
  if (value === undefined || value === null) return "";
  if (value instanceof RawNumber || value instanceof RawJson) return value.text;
  if (typeof value === "object") return jsonText(value);
  return String(value);
}

/** `{ a: { b: 1 } }` → `{ "a.b": 1 }`; anything that is not an object stays one cell. */
function flatten(row: Value, prefix = "", out: Record<string, Value> = {}): Record<string, Value> {
  if (
    row === null || typeof row !== "object" || Array.isArray(row) || row instanceof RawNumber ||
    row instanceof RawObject || row instanceof RawJson
  ) {
    out[prefix] = row;
    return out;
  }
  for (const [key, value] of Object.entries(row)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (
      value !== null && typeof value === "object" && !Array.isArray(value) &&
      !(value instanceof RawNumber) && !(value instanceof RawObject) && !(value instanceof RawJson)
    ) {
      flatten(value, name, out);
    } else out[name] = value;
  }
  return out;
}

/** The header: the standard columns, then any other field some row has (in first-seen order). */
export function csvColumns(kind: ImportKind, rows: readonly Value[]): string[] {
  const columns = [...CSV_HEADER[kind]];
  for (const row of rows) {
    for (const key of Object.keys(flatten(row))) if (!columns.includes(key)) columns.push(key);
  }
  return columns;
}

export function toCsv(kind: ImportKind, rows: readonly Value[], columns = csvColumns(kind, rows)) {
  const lines = [columns.map(csvCell).join(",")];
  for (const row of rows) {
    const flat = flatten(row);
    lines.push(columns.map((c) => csvCell(cellText(flat[c]))).join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

export function toJsonArray(rows: readonly Value[]): string {
  return `[\n${rows.map((r) => "  " + jsonText(r)).join(",\n")}\n]\n`;
}

export function toJsonLines(rows: readonly Value[]): string {
  return rows.map(jsonText).join("\n") + "\n";
}

export function serialise(kind: ImportKind, format: FileFormat, rows: readonly Value[]): string {
  switch (format) {
    case "json":
      return toJsonArray(rows);
    case "jsonl":
      return toJsonLines(rows);
    case "csv":
      return toCsv(kind, rows);
  }
}
