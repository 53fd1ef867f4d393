/**
 * A JSON array of objects, parsed as a stream (@streamparser/json): each element is handed
 * over as soon as it is complete and then dropped, so a file of a million rows never becomes
 * a million-element array in memory.
 */
import { Tokenizer, TokenParser, TokenType } from "@streamparser/json";
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
  const tokenizer = new Tokenizer();
  const parser = new TokenParser({ paths: ["$.*"], keepStack: false });
  const ready: RawRecord[] = [];
  let rows = 0;
  let sawFirstToken = false;
  let lastTokenOffset = 0;
  let chunkOffset = 0;
  let bomBytes = 0;

  tokenizer.onToken = (token) => {
    lastTokenOffset = token.offset;
    if (!sawFirstToken) {
      sawFirstToken = true;
      if (token.token !== TokenType.LEFT_BRACKET) {
        const what = TOP_LEVEL_NAMES[token.token] ?? "something else";
        throw new NotAnArray(`expected a JSON array of objects, but the file holds ${what}`);
      }
    }
    parser.write(token);
  };
  parser.onValue = ({ value }) => {
    rows++;
    ready.push({ row: rows, value });
  };

  const fail = async (error: unknown): Promise<never> => {
    if (error instanceof NotAnArray) throw fileError(file, error.message);
    const message = (error as Error).message;
    // Tokenizer errors name an absolute byte position; parser errors only the token at fault.
    const absolute = /absolute position "(\d+)"/.exec(message);
    const at = bomBytes + (absolute ? Number(absolute[1]) : lastTokenOffset);
    const { line, column } = await positionOf(file, at);
    throw fileError(
      file,
      `invalid JSON at line ${line}, column ${column} (byte ${at}): ${
        message.replace(/ at chunk position.*?(?= in state)/, "")
      }`,
      error,
    );
  };

  for await (const chunk of readUtf8Chunks(file, sink)) {
    if (chunkOffset === 0) bomBytes = chunk.byteOffset;
    chunkOffset = chunk.byteOffset;
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
    if (sawFirstToken && !parser.isEnded) parser.end();
  } catch (error) {
    yield* ready.splice(0);
    if (error instanceof NotAnArray) throw fileError(file, error.message);
    throw fileError(
      file,
      `invalid JSON: the file ends before the array is closed (after row ${rows}); ` +
        "is it truncated?",
      error,
    );
  }
  if (!sawFirstToken) throw fileError(file, "the file holds no JSON (only whitespace)");
  yield* ready.splice(0);
}

class NotAnArray extends Error {}
