import { formatOf } from "./file-format.ts";
import { readCsv } from "./read-csv.ts";
import { readJsonArray } from "./read-json-array.ts";
import { readJsonLines } from "./read-json-lines.ts";
import type { ImportKind, RawRecord } from "./records.ts";
import type { ByteSink } from "./utf8-chunks.ts";

/** The raw records of an import file, in file order, in the format its extension names. */
export function readRecords(
  file: string,
  kind: ImportKind,
  sink?: ByteSink,
): AsyncGenerator<RawRecord> {
  switch (formatOf(file)) {
    case "json":
      return readJsonArray(file, sink);
    case "jsonl":
      return readJsonLines(file, sink);
    case "csv":
      return readCsv(file, kind, sink);
  }
}
