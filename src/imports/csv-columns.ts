/**
 * The CSV shape of each import kind (SPEC §7): a header row naming the fields, nested fields
 * flattened with dots (`tierPayoutsBps.tier1`), an empty cell meaning an absent optional field,
 * and numbers converted for numeric fields only (an id of "007" stays a string), exactly as the
 * JSON readers convert them (number-text.ts).
 */
import { numberFromText } from "../domain/number-text.ts";
import type { ImportKind } from "./records.ts";

export interface CsvColumn {
  name: string;
  required: boolean;
  numeric: boolean;
}

const column = (name: string, required = true, numeric = false): CsvColumn => ({
  name,
  required,
  numeric,
});

export const CSV_COLUMNS: Record<ImportKind, readonly CsvColumn[]> = {
  policies: [
    column("id"),
    column("region"),
    column("currency"),
    column("sumInsured", true, true),
    column("timezone", false),
    column("coverageStart"),
    column("coverageEnd"),
    column("payoutMode"),
    column("tierPayoutsBps.tier1", true, true),
    column("tierPayoutsBps.tier2", true, true),
    column("tierPayoutsBps.tier3", true, true),
    column("periodCapBps", true, true),
  ],
  events: [
    column("id"),
    column("region"),
    column("tier"),
    column("observedAt"),
    column("status", false),
    column("source", false),
    column("value", false, true),
  ],
};

/** The JSON number grammar: what a numeric cell must look like to become a number. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Checks a header row and returns a function that turns one CSV record into the nested object
 * the domain schema expects. Throws an Error naming every bad or missing column.
 */
export function csvRecordMapper(
  kind: ImportKind,
  header: readonly string[],
): (cells: readonly string[]) => Record<string, unknown> {
  const known = new Map(CSV_COLUMNS[kind].map((c) => [c.name, c]));
  const problems: string[] = [];
  const seen = new Set<string>();
  const columns: CsvColumn[] = header.map((raw, index) => {
    const name = raw.trim();
    const spec = known.get(name);
    if (name === "") problems.push(`column ${index + 1} has no name`);
    else if (!spec) problems.push(`unknown column "${name}"`);
    else if (seen.has(name)) problems.push(`column "${name}" appears twice`);
    seen.add(name);
    return spec ?? column(name, false);
  });
  const missing = CSV_COLUMNS[kind].filter((c) => c.required && !seen.has(c.name));
  if (missing.length > 0) {
    problems.push(`missing column(s) ${missing.map((c) => c.name).join(", ")}`);
  }
  if (problems.length > 0) {
    throw new Error(
      `bad CSV header: ${problems.join("; ")} (the ${kind} columns are ${
        CSV_COLUMNS[kind].map((c) => c.name + (c.required ? "" : "?")).join(", ")
      }; ? marks optional ones)`,
    );
  }
  return (cells) => {
    const out: Record<string, unknown> = {};
    columns.forEach((c, index) => {
      const cell = cells[index] ?? "";
      if (cell === "") return;
      // Numbers stay text unless a float holds them exactly (money must be exact).
      const value = c.numeric && JSON_NUMBER.test(cell.trim()) ? numberFromText(cell.trim()) : cell;
      setPath(out, c.name.split("."), value);
    });
    return out;
  };
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next === "object" && next !== null) node = next as Record<string, unknown>;
    else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  node[path[path.length - 1]!] = value;
}
