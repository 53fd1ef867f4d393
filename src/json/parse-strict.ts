/**
 * One JSON document held in memory (a JSON Lines line, a `calc --input` file), parsed with the
 * strict builder: the same depth limit, duplicate-key check and number text as the streamed
 * .json import.
 */
import { lexJson } from "./string-lexer.ts";
import {
  type BuiltRecord,
  JsonSyntaxError,
  MAX_JSON_DEPTH,
  NumberTextTokenizer,
  StrictJsonBuilder,
} from "./strict-builder.ts";

/** Byte offset named by a tokenizer error (`… at position "12" …`), if any. */
export function tokenizerErrorOffset(error: unknown): number | undefined {
  const m = /position "(\d+)"/.exec((error as Error)?.message ?? "");
  return m ? Number(m[1]) : undefined;
}

/** The tokenizer's message without its internal state names. */
export function tokenizerReason(error: unknown): string {
  return String((error as Error)?.message ?? error)
    .replace(/ at (chunk )?position "\d+"/, "")
    .replace(/ in state \w+/, "")
    .replace(/\. Either not all the data was received or the data was invalid\.$/, "");
}

/**
 * Parses `text` as one JSON value. Throws JsonSyntaxError (with the character offset) or
 * JsonDepthError; duplicate keys come back as problems.
 */
export function parseStrictJsonText(text: string, maxDepth = MAX_JSON_DEPTH): BuiltRecord {
  let record: BuiltRecord | undefined;
  const builder = new StrictJsonBuilder(0, (r) => (record = r), maxDepth);
  lexJson(text, (token, value, offset) => builder.push(token, value, offset));
  builder.end(text.length);
  return record!;
}

/**
 * Parses `bytes` (UTF-8, already checked) as one JSON value with the byte tokenizer the .json
 * stream uses. Throws JsonSyntaxError (with the byte offset) or JsonDepthError.
 */
export function parseStrictJson(bytes: Uint8Array, maxDepth = MAX_JSON_DEPTH): BuiltRecord {
  let record: BuiltRecord | undefined;
  const builder = new StrictJsonBuilder(0, (r) => (record = r), maxDepth);
  const tokenizer = new NumberTextTokenizer();
  tokenizer.onToken = ({ token, value, offset }) => builder.push(token, value, offset);
  try {
    tokenizer.write(bytes);
    tokenizer.end();
  } catch (error) {
    if (error instanceof JsonSyntaxError || !(error instanceof Error)) throw error;
    if (error.name === "JsonDepthError") throw error;
    throw new JsonSyntaxError(tokenizerReason(error), tokenizerErrorOffset(error) ?? 0);
  }
  builder.end(bytes.length);
  return record!;
}
