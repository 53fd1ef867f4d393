/**
 * A JSON array of objects, parsed as a stream (@streamparser/json's tokenizer and the strict
 * builder): each element is handed over as soon as it is complete and then dropped, so a file
 * of a million rows never becomes a million-element array in memory. Nesting deeper than the
 * limit stops the read (naming the row and field); a key twice in one object is a problem of
 * its row.
 */
import { TokenType } from "@streamparser/json";
import {
  JsonDepthError,
  JsonSyntaxError,
  NumberTextTokenizer,
  StrictJsonBuilder,
} from "../json/strict-builder.ts";
import { tokenizerErrorOffset, tokenizerReason } from "../json/parse-strict.ts";
import { fileError } from "./file-errors.ts";
import type { RawRecord } from "./records.ts";
import { type ByteSink, positionOf, readUtf8Chunks } from "./utf8-chunks.ts";

const TOP_LEVEL_NAMES: Partial<Record<TokenType, string>> = {
  [TokenType.LEFT_BRACE]: "an object",
  [TokenType.STRING]: "a string",
  [TokenType.NUMBER]: "a number",
  [TokenType.TRUE]: "true",
  [TokenType.FALSE]: "false",
  [TokenType.NULL]: "null",
};

export async function* readJsonArray(file: string, sink?: ByteSink): AsyncGenerator<RawRecord> {
  const tokenizer = new NumberTextTokenizer();
  const ready: RawRecord[] = [];
  let rows = 0;
  let sawFirstToken = false;
  let lastTokenOffset = 0;
  let bomBytes = 0;
  let chunkOffset = 0;
  let bytesRead = 0;
  const builder = new StrictJsonBuilder(1, ({ value, problems }) => {
    rows++;
    ready.push(problems.length > 0 ? { row: rows, value, problems } : { row: rows, value });
  });

  tokenizer.onToken = (token) => {
    lastTokenOffset = token.offset;
    if (!sawFirstToken) {
      sawFirstToken = true;
      if (token.token !== TokenType.LEFT_BRACKET) {
        const what = TOP_LEVEL_NAMES[token.token] ?? "something else";
        throw new NotAnArray(`expected a JSON array of objects, but the file holds ${what}`);
      }
    }
    builder.push(token.token, token.value, token.offset);
  };

  const fail = async (error: unknown): Promise<never> => {
    if (error instanceof NotAnArray) throw fileError(file, error.message);
    if (error instanceof JsonDepthError) {
      throw fileError(
        file,
        `row ${builder.recordNumber}: ${error.field ? `${error.field}: ` : ""}${error.message}`,
        error,
      );
    }
    // Tokenizer errors name an absolute byte position; the builder's the token at fault.
    const at = bomBytes +
      (error instanceof JsonSyntaxError
        ? error.offset
        : tokenizerErrorOffset(error) ?? lastTokenOffset);
    const { line, column } = await positionOf(file, at);
    const reason = error instanceof JsonSyntaxError ? error.message : tokenizerReason(error);
    throw fileError(
      file,
      `invalid JSON at line ${line}, column ${column} (byte ${at}): ${reason}`,
      error,
    );
  };

  for await (const chunk of readUtf8Chunks(file, sink)) {
    if (chunkOffset === 0) bomBytes = chunk.byteOffset;
    chunkOffset = chunk.byteOffset;
    bytesRead = chunk.byteOffset + chunk.bytes.length;
    try {
      tokenizer.write(chunk.bytes);
    } catch (error) {
      yield* ready.splice(0);
      await fail(error);
    }
    yield* ready.splice(0);
  }
  try {
    // end() first: a number at the top level is only tokenised once the input ends.
    tokenizer.end();
  } catch (error) {
    yield* ready.splice(0);
    await fail(error);
  }
  yield* ready.splice(0);
  if (!sawFirstToken) throw fileError(file, "the file holds no JSON (only whitespace)");
  if (!builder.complete) {
    throw fileError(
      file,
      `invalid JSON: the file ends before the array is closed (after row ${rows}, byte ${bytesRead}); ` +
        "is it truncated?",
    );
  }
}

class NotAnArray extends Error {}
