/**
 * JSON Lines: one JSON object a line; blank lines are skipped. A line that is not JSON, or is
 * longer than MAX_RECORD_BYTES (limits.ts), is a problem of that row (reported with the others), not of
 * the whole file.
 *
 * Lines are cut on the bytes, and a line is only kept while it is under the cap: a file of one
 * 100 MB line is read in time linear in its size and in memory bounded by the cap (before, the
 * line was rebuilt from ever longer strings: 26.6 s and 1 GB for 100 MB).
 */
import { JsonDepthError, JsonSyntaxError } from "../json/strict-builder.ts";
import { parseStrictJsonText } from "../json/parse-strict.ts";
import { MAX_RECORD_BYTES } from "./limits.ts";
import type { RawRecord } from "./records.ts";
import { type ByteSink, readUtf8Chunks } from "./utf8-chunks.ts";

const NEWLINE = 0x0a;
const CR = 0x0d;

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  return true;
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const decoder = new TextDecoder();

export function parseLine(row: number, line: number, bytes: Uint8Array): RawRecord {
  // Already checked to be UTF-8 (utf8-chunks.ts): decoding cannot fail here.
  const text = decoder.decode(bytes);
  try {
    const { value, problems } = parseStrictJsonText(text);
    return problems.length > 0 ? { row, line, value, problems } : { row, line, value };
  } catch (error) {
    if (error instanceof JsonDepthError) {
      return { row, line, problems: [{ field: error.field, message: error.message }] };
    }
    if (error instanceof JsonSyntaxError) {
      return {
        row,
        line,
        problems: [{
          field: "",
          message: `not valid JSON at column ${error.offset + 1}: ${error.message}`,
        }],
      };
    }
    throw error;
  }
}

export async function* readJsonLines(
  file: string,
  sink?: ByteSink,
  maxLineBytes = MAX_RECORD_BYTES,
): AsyncGenerator<RawRecord> {
  let parts: Uint8Array[] = [];
  let length = 0;
  let line = 0;
  let row = 0;
  const take = (): RawRecord | undefined => {
    line++;
    const over = length > maxLineBytes;
    let bytes = over ? new Uint8Array(0) : concat(parts, length);
    const size = length;
    parts = [];
    length = 0;
    if (over) {
      row++;
      return {
        row,
        line,
        problems: [{
          field: "",
          message: `the line has ${size} bytes, more than the limit of ${maxLineBytes} bytes ` +
            "for one JSON Lines record (one object a line, a few hundred bytes each)",
        }],
      };
    }
    if (bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (isBlank(bytes)) return undefined;
    row++;
    return parseLine(row, line, bytes);
  };
  const keep = (bytes: Uint8Array) => {
    // Past the cap only the length is counted: the line is refused, its bytes are not needed.
    if (length + bytes.length <= maxLineBytes) parts.push(bytes);
    else parts = [];
    length += bytes.length;
  };
  for await (const chunk of readUtf8Chunks(file, sink)) {
    const bytes = chunk.bytes;
    let start = 0;
    for (let nl = bytes.indexOf(NEWLINE); nl >= 0; nl = bytes.indexOf(NEWLINE, start)) {
      keep(bytes.subarray(start, nl));
      start = nl + 1;
      const record = take();
      if (record) yield record;
    }
    // The rest of the chunk belongs to the next line; copied, as the stream may reuse buffers.
    if (start < bytes.length) keep(bytes.slice(start));
  }
  if (length > 0) {
    const record = take();
    if (record) yield record;
  }
}
