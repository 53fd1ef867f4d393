/** What the file readers produce: one raw record per row, before validation. */
import type { RecordProblem } from "../json/strict-builder.ts";

export type { RecordProblem };

export type ImportKind = "policies" | "events";

export type FileFormat = "json" | "jsonl" | "csv";

export interface RawRecord {
  /** 1-based number of the record in the file (the header row of a CSV file is not counted). */
  row: number;
  /** 1-based line where the record starts, for line-oriented formats (JSON Lines, CSV). */
  line?: number;
  /** The record as an object, ready for the domain schema. */
  value?: unknown;
  /**
   * Why the record could not be read as it stands (a JSON Lines line that is not JSON or is
   * too long, a key twice in one object); the record is not validated further.
   */
  problems?: RecordProblem[];
}

/** `row 17` or `row 17 (line 18)`: how problems point into a file. */
export function rowLabel(record: Pick<RawRecord, "row" | "line">): string {
  return record.line !== undefined && record.line !== record.row
    ? `row ${record.row} (line ${record.line})`
    : `row ${record.row}`;
}
