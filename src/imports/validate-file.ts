/**
 * The first pass of an import: every row of the file is read and validated against the domain
 * schema, and ids are checked for duplicates, before anything is written. Only the ids stay in
 * memory (for the duplicate check); rows are dropped once checked.
 */
import crypto from "node:crypto";
import {
  parseEvent,
  parsePolicy,
  type Policy,
  type RiskEvent,
  type ValidationProblem,
} from "../domain/schemas.ts";
import { readRecords } from "./read-records.ts";
import { type ImportKind, type RawRecord, rowLabel } from "./records.ts";

export const MAX_LISTED_PROBLEMS = 50;

export interface RowProblem {
  row: number;
  line?: number;
  /** Dotted field path (`tierPayoutsBps.tier3`); empty for a problem of the row as a whole. */
  field: string;
  message: string;
}

export interface FileValidation {
  file: string;
  kind: ImportKind;
  rows: number;
  /** Rows with at least one problem. */
  invalidRows: number;
  /** The first problems in file order (at most `maxProblems`). */
  problems: RowProblem[];
  /** How many problems there were beyond the listed ones. */
  moreProblems: number;
  /** sha256 of the file's bytes as validated, so the write pass can tell if the file changed. */
  sha256: string;
}

export type ImportRow<K extends ImportKind> = K extends "policies" ? Policy : RiskEvent;

type ParseResult<T> = { ok: true; value: T } | { ok: false; problems: ValidationProblem[] };

export function parseRow<K extends ImportKind>(
  kind: K,
  value: unknown,
): ParseResult<ImportRow<K>> {
  return (kind === "policies" ? parsePolicy(value, "") : parseEvent(value, "")) as ParseResult<
    ImportRow<K>
  >;
}

function problemsOfRecord(kind: ImportKind, record: RawRecord): {
  problems: RowProblem[];
  id?: string;
} {
  const at = { row: record.row, ...(record.line !== undefined ? { line: record.line } : {}) };
  if (record.problems !== undefined && record.problems.length > 0) {
    return { problems: record.problems.map((p) => ({ ...at, ...p })) };
  }
  const parsed = parseRow(kind, record.value);
  if (parsed.ok) return { problems: [], id: parsed.value.id };
  return {
    problems: parsed.problems.map((p) => ({
      ...at,
      field: p.path === "(root)" ? "" : p.path,
      message: p.message,
    })),
  };
}

export async function validateImportFile(
  file: string,
  kind: ImportKind,
  maxProblems = MAX_LISTED_PROBLEMS,
): Promise<FileValidation> {
  const hash = crypto.createHash("sha256");
  const firstRowOfId = new Map<string, number>();
  const problems: RowProblem[] = [];
  let moreProblems = 0;
  let rows = 0;
  let invalidRows = 0;
  let lastInvalidRow = 0;
  const report = (found: RowProblem[]) => {
    for (const p of found) {
      if (p.row !== lastInvalidRow) {
        invalidRows++;
        lastInvalidRow = p.row;
      }
      if (problems.length < maxProblems) problems.push(p);
      else moreProblems++;
    }
  };
  for await (const record of readRecords(file, kind, (bytes) => hash.update(bytes))) {
    rows++;
    const { problems: found, id } = problemsOfRecord(kind, record);
    report(found);
    if (id === undefined) continue;
    const first = firstRowOfId.get(id);
    if (first === undefined) firstRowOfId.set(id, record.row);
    else {
      report([{
        row: record.row,
        ...(record.line !== undefined ? { line: record.line } : {}),
        field: "id",
        message: `duplicate id ${JSON.stringify(id)}: row ${first} has the same id`,
      }]);
    }
  }
  return { file, kind, rows, invalidRows, problems, moreProblems, sha256: hash.digest("hex") };
}

/** `row 17: tierPayoutsBps.tier3: must be >= tier2 (2500), got 2400` */
export function formatRowProblem(problem: RowProblem): string {
  return `${rowLabel(problem)}: ${problem.field ? `${problem.field}: ` : ""}${problem.message}`;
}

/** The listed problems, one a line, and a last line counting the rest. */
export function formatValidation(validation: FileValidation): string[] {
  const lines = validation.problems.map(formatRowProblem);
  if (validation.moreProblems > 0) {
    lines.push(`… and ${validation.moreProblems} more problem(s) not listed`);
  }
  return lines;
}
