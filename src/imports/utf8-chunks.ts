/**
 * Streams a file as strictly decoded UTF-8 text. A byte sequence that is not UTF-8 stops the
 * read with the byte offset and line of the first bad byte: a latin-1 export silently turned
 * into U+FFFD would import a wrong region name or id.
 */
import fs from "node:fs";
import { ClaimsError } from "../errors.ts";
import { fileError } from "./file-errors.ts";

export interface TextChunk {
  /** Offset in the file of this chunk's first byte. */
  byteOffset: number;
  /** The raw bytes of this chunk (a leading byte-order mark removed). */
  bytes: Uint8Array;
  /** The bytes decoded (a character split between two chunks comes out with the second). */
  text: string;
}

const CHUNK_BYTES = 256 * 1024;
const BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * Fails with a clear message when the path is missing, not a regular file, or empty; returns
 * the file's size in bytes.
 */
export async function checkReadableFile(file: string): Promise<number> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why = code === "ENOENT"
      ? "file not found"
      : code === "EACCES"
      ? "permission denied"
      : `cannot read the file (${code ?? (error as Error).message})`;
    throw fileError(file, `${why}: ${file}`, error);
  }
  if (!stat.isFile()) throw fileError(file, `not a regular file: ${file}`);
  if (stat.size === 0) throw fileError(file, "the file is empty");
  return stat.size;
}

function strictDecoder() {
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
}

/** Offset in `bytes` of the byte that makes strict decoding fail (after `carried` bytes). */
function firstInvalidByte(carried: Uint8Array, bytes: Uint8Array): number {
  // A prefix that fails keeps failing as it grows, so the shortest failing prefix is bisected.
  const fits = (n: number): boolean => {
    try {
      const probe = strictDecoder();
      probe.decode(carried, { stream: true });
      probe.decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return hi - 1;
}

/**
 * Where the malformed sequence that ends at `at` began: a lead byte followed by too few
 * continuation bytes is the byte to report (latin-1 "ã" is 0xe3, not the letter after it).
 */
function sequenceStart(bytes: Uint8Array, at: number): number {
  for (let k = at - 1; k >= Math.max(0, at - 3); k--) {
    const b = bytes[k]!;
    if ((b & 0xc0) === 0x80) continue;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > at - k ? k : at;
  }
  return at;
}

function countNewlines(bytes: Uint8Array, end = bytes.length): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

/** The 0 to 3 bytes at the end of a chunk that begin a character the chunk does not finish. */
function unfinishedCharacter(bytes: Uint8Array): Uint8Array {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: the lead byte is further back
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > back ? bytes.subarray(bytes.length - back) : new Uint8Array(0);
  }
  return new Uint8Array(0);
}

/** Receives every byte read (after a byte-order mark), e.g. to fingerprint the file. */
export type ByteSink = (bytes: Uint8Array) => void;

export async function* readUtf8Chunks(file: string, sink?: ByteSink): AsyncGenerator<TextChunk> {
  const size = await checkReadableFile(file);
  const decoder = strictDecoder();
  let offset = 0;
  let lines = 0;
  let carried: Uint8Array = new Uint8Array(0);
  const endsInsideCharacter = (error?: unknown) =>
    fileError(
      file,
      `not valid UTF-8: the file ends inside a multi-byte character (byte offset ${
        offset - carried.length
      })`,
      error,
    );
  const stream = fs.createReadStream(file, { highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      let bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (offset === 0 && BOM.every((b, i) => bytes[i] === b)) {
        bytes = bytes.subarray(BOM.length);
        offset = BOM.length;
      }
      let text: string;
      try {
        text = decoder.decode(bytes, { stream: true });
      } catch (error) {
        const at = sequenceStart(bytes, firstInvalidByte(carried, bytes));
        const byte = (bytes[at] ?? 0).toString(16).padStart(2, "0");
        throw fileError(
          file,
          `not valid UTF-8: byte 0x${byte} at byte offset ${offset + at} (line ${
            lines + countNewlines(bytes, at) + 1
          }); save the file as UTF-8`,
          error,
        );
      }
      carried = unfinishedCharacter(bytes);
      // Checked before the last chunk is handed over: a consumer that reads bytes (the JSON
      // tokenizer) would otherwise report the cut character as a stray one.
      if (carried.length > 0 && offset + bytes.length >= size) {
        offset += bytes.length;
        throw endsInsideCharacter();
      }
      sink?.(bytes);
      yield { byteOffset: offset, bytes, text };
      offset += bytes.length;
      lines += countNewlines(bytes);
    }
    try {
      decoder.decode(new Uint8Array(0));
    } catch (error) {
      throw endsInsideCharacter(error);
    }
  } catch (error) {
    if (error instanceof ClaimsError) throw error;
    throw fileError(file, `cannot read the file: ${(error as Error).message}`, error);
  } finally {
    stream.destroy();
  }
}

/** Line and column (1-based; the column in characters) of a byte offset of the file. */
export async function positionOf(
  file: string,
  byteOffset: number,
): Promise<{ line: number; column: number }> {
  let line = 1;
  let column = 1;
  let decoder = new TextDecoder("utf-8", { ignoreBOM: false });
  let seen = 0;
  const stream = fs.createReadStream(file, { highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        .subarray(0, Math.max(0, byteOffset - seen));
      const lastNewline = bytes.lastIndexOf(0x0a);
      if (lastNewline >= 0) {
        line += countNewlines(bytes);
        column = 1;
        decoder = new TextDecoder("utf-8", { ignoreBOM: true });
      }
      column += decoder.decode(bytes.subarray(lastNewline + 1), { stream: true }).length;
      seen += chunk.byteLength;
      if (seen >= byteOffset) break;
    }
  } finally {
    stream.destroy();
  }
  return { line, column };
}
