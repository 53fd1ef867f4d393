/**
 * Output rendering shared by the data commands: aligned text tables for terminals and CSV
 * (RFC 4180 quoting, formula cells neutralised: csv-cell.ts) for spreadsheets. JSON goes
 * through writeJson in io.ts.
 */
import { csvCell, quoteCsvField } from "./csv-cell.ts";

export type OutputFormat = "table" | "json" | "csv";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["table", "json", "csv"];

export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | bigint | boolean | null | undefined;
  /** Numbers read best right-aligned; the default aligns numbers right and text left. */
  align?: "left" | "right";
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return String(value);
}

/** A plain-text table: a header, a rule, the rows; columns separated by two spaces. */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))));
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((r) => (r[i] ?? "").length))
  );
  const rightAligned = columns.map((c, i) =>
    c.align ? c.align === "right" : rows.length > 0 && rows.every((row) => {
      const v = columns[i]!.value(row);
      return typeof v === "number" || typeof v === "bigint" || v === null || v === undefined;
    })
  );
  const line = (values: readonly string[]) =>
    values.map((v, i) => rightAligned[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))
      .join("  ").trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => "-".repeat(w))),
    ...cells.map(line),
  ].join("\n") + "\n";
}

/**
 * One CSV field, RFC 4180 quoting only (no formula escaping): for files meant to be read back
 * by `claims … import`, where a leading quote would become part of the value.
 */
export function csvField(value: unknown): string {
  return quoteCsvField(cellText(value));
}

/** CSV for people's spreadsheets: text cells that look like formulas are neutralised. */
export function renderCsv<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => csvCell(c.value(row))).join(","));
  return lines.join("\r\n") + "\r\n";
}

/** Parses a --format value; throws an Error naming the accepted values. */
export function parseFormat(value: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  throw new Error(`--format must be one of ${OUTPUT_FORMATS.join(", ")}, got "${value}"`);
}
