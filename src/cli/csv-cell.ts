/**
 * One CSV cell for every command that writes CSV (`report`, `export` …), RFC 4180 quoting plus
 * OWASP's advice against CSV injection: a text cell that begins with `=`, `+`, `-`, `@`, a tab
 * or a carriage return would run as a formula in a spreadsheet (`=HYPERLINK(…)` in a region
 * name), so it is written as `"'=HYPERLINK(…)"`: a leading single quote, which spreadsheets show
 * as text, inside double quotes. Numbers (counts, amounts in minor units) are written as they
 * are, so a negative amount stays `-1250`: what decides is the value's type, not its text.
 * JSON output never goes through here and keeps the exact text.
 */

/** Characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** RFC 4180: quoted when it holds a comma, a quote, a line break or edge spaces. */
export function quoteCsvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A text cell, neutralised when a spreadsheet would take it for a formula. */
export function csvTextCell(text: string): string {
  if (!FORMULA_START.test(text)) return quoteCsvField(text);
  return `"'${text.replaceAll('"', '""')}"`;
}

/**
 * A cell from a value: numbers and bigints as written, null and undefined empty, anything
 * else as text (escaped).
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return csvTextCell(String(value));
}
