/**
 * CSV through csv-parse (RFC 4180 quoting, CRLF, multi-line quoted cells), streamed record by
 * record. The first record is the header (see csv-columns.ts).
 */
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { ClaimsError } from "../errors.ts";
import { csvRecordMapper } from "./csv-columns.ts";
import { fileError } from "./file-errors.ts";
import { MAX_RECORD_BYTES } from "./limits.ts";
import type { ImportKind, RawRecord } from "./records.ts";
import { type ByteSink, readUtf8Chunks } from "./utf8-chunks.ts";

interface ParsedCsvRecord {
  record: string[];
  info: { lines: number; records: number };
}

export async function* readCsv(
  file: string,
  kind: ImportKind,
  sink?: ByteSink,
): AsyncGenerator<RawRecord> {
  const parser = parse({
    info: true,
    skip_empty_lines: true,
    relax_column_count: false,
    // The same cap as a JSON Lines line: a record is a few hundred bytes.
    max_record_size: MAX_RECORD_BYTES,
  });
  async function* texts(): AsyncGenerator<string> {
    for await (const chunk of readUtf8Chunks(file, sink)) yield chunk.text;
  }
  const source = Readable.from(texts());
  source.on("error", (error) => parser.destroy(error));
  source.pipe(parser);

  let toObject: ((cells: readonly string[]) => Record<string, unknown>) | undefined;
  let row = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<ParsedCsvRecord>) {
      // info.lines is the record's last line; quoted cells may span lines.
      const line = info.lines - record.reduce((n, cell) => n + newlines(cell), 0);
      if (!toObject) {
        try {
          toObject = csvRecordMapper(kind, record);
        } catch (error) {
          throw fileError(file, (error as Error).message, error);
        }
        continue;
      }
      row++;
      yield { row, line, value: toObject(record) };
    }
  } catch (error) {
    if (error instanceof ClaimsError) throw error;
    throw fileError(file, `invalid CSV: ${(error as Error).message}`, error);
  } finally {
    source.destroy();
    parser.destroy();
  }
  if (!toObject) throw fileError(file, "the file has no CSV header row");
}

function newlines(cell: string): number {
  let n = 0;
  for (let i = cell.indexOf("\n"); i >= 0; i = cell.indexOf("\n", i + 1)) n++;
  return n;
}
