/**
 * Builds JSON values from @streamparser/json's tokens, stricter than JSON.parse in the ways an
 * import needs (docs/imports.md):
 *   - nesting deeper than MAX_JSON_DEPTH stops the read at once (JSON.parse and zod would
 *     recurse until the stack overflows on 200,000 levels);
 *   - a key that appears twice in one object is a problem of its record, at its path (JSON.parse
 *     keeps the last one silently);
 *   - numbers arrive as their source text and stay text unless a float holds them exactly
 *     (number-text.ts), so `1000000.00000000001` can be refused instead of read as 1000000.
 * It also checks the grammar the tokenizer leaves to its consumer (commas, colons, brackets).
 * Records are the top-level value (recordDepth 0: a JSON Lines line, a calc input) or the
 * elements of a top-level array (recordDepth 1: a .json import file, one row at a time).
 */
import { Tokenizer, TokenType } from "@streamparser/json";
import { numberFromText } from "../domain/number-text.ts";

/** Levels of arrays and objects, counted from the outermost value of a file or line. */
export const MAX_JSON_DEPTH = 8;

export type JsonPath = (string | number)[];

export interface RecordProblem {
  /** Dotted path inside the record (`tierPayoutsBps.tier1`); "" for the record itself. */
  field: string;
  message: string;
}

export interface BuiltRecord {
  value: unknown;
  /** Problems the reader found (duplicate keys); the record must not be used when present. */
  problems: RecordProblem[];
}

/** The text is not JSON: `offset` is the byte offset of the token at fault. */
export class JsonSyntaxError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = "JsonSyntaxError";
  }
}

/** Nested deeper than the limit: `field` is the path (inside the record) where it happened. */
export class JsonDepthError extends Error {
  constructor(readonly field: string, readonly offset: number, readonly maxDepth: number) {
    super(`nested deeper than ${maxDepth} levels of arrays and objects (the limit for JSON input)`);
    this.name = "JsonDepthError";
  }
}

/** A tokenizer that hands numbers on as their source text. */
export class NumberTextTokenizer extends Tokenizer {
  protected override parseNumber(text: string): number {
    return text as unknown as number;
  }
}

type Step = "value" | "first" | "afterValue" | "afterComma" | "afterKey" | "afterColon";

interface Frame {
  kind: "object" | "array";
  /** The container being built; undefined for the array that only lists records. */
  value: Record<string, unknown> | unknown[] | undefined;
  step: Step;
  /** The key whose value comes next (objects). */
  key: string | undefined;
  /** Elements so far (arrays), for paths. */
  index: number;
  /** The value of the pending key is a duplicate: keep the first one. */
  skip: boolean;
}

/** Dotted path of record-relative keys and [indices], as validation problems name fields. */
export function formatJsonPath(path: JsonPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

const NAMES: Record<number, string> = {
  [TokenType.LEFT_BRACE]: "{",
  [TokenType.RIGHT_BRACE]: "}",
  [TokenType.LEFT_BRACKET]: "[",
  [TokenType.RIGHT_BRACKET]: "]",
  [TokenType.COLON]: ":",
  [TokenType.COMMA]: ",",
  [TokenType.TRUE]: "true",
  [TokenType.FALSE]: "false",
  [TokenType.NULL]: "null",
  [TokenType.STRING]: "a string",
  [TokenType.NUMBER]: "a number",
  [TokenType.SEPARATOR]: "a separator",
};

const EXPECTED: Record<Step, string> = {
  value: "a value",
  first: "a value or the closing bracket",
  afterValue: "',' or the closing bracket",
  afterComma: "a value",
  afterKey: "':'",
  afterColon: "a value",
};

export class StrictJsonBuilder {
  readonly #stack: Frame[] = [];
  readonly #recordDepth: 0 | 1;
  readonly #maxDepth: number;
  readonly #onRecord: (record: BuiltRecord) => void;
  #problems: RecordProblem[] = [];
  #done = false;
  #started = false;

  constructor(
    recordDepth: 0 | 1,
    onRecord: (record: BuiltRecord) => void,
    maxDepth = MAX_JSON_DEPTH,
  ) {
    this.#recordDepth = recordDepth;
    this.#onRecord = onRecord;
    this.#maxDepth = maxDepth;
  }

  /** True once the top-level value is complete. */
  get complete(): boolean {
    return this.#done;
  }

  /** 1-based number of the record being read (recordDepth 1), or of the last one. */
  get recordNumber(): number {
    return this.#recordDepth === 1 ? (this.#stack[0]?.index ?? 0) + 1 : 1;
  }

  /** True once any token arrived. */
  get started(): boolean {
    return this.#started;
  }

  push(token: TokenType, raw: unknown, offset: number): void {
    this.#started = true;
    if (this.#done) this.#unexpected(token, offset, "the end of the input");
    const top = this.#stack[this.#stack.length - 1];
    const step: Step = top ? top.step : "value";
    switch (token) {
      case TokenType.COMMA:
        if (!top || step !== "afterValue") this.#unexpected(token, offset, EXPECTED[step]);
        top.step = "afterComma";
        return;
      case TokenType.COLON:
        if (!top || step !== "afterKey") this.#unexpected(token, offset, EXPECTED[step]);
        top.step = "afterColon";
        return;
      case TokenType.RIGHT_BRACE:
      case TokenType.RIGHT_BRACKET: {
        const kind = token === TokenType.RIGHT_BRACE ? "object" : "array";
        if (!top || top.kind !== kind || (step !== "first" && step !== "afterValue")) {
          this.#unexpected(token, offset, EXPECTED[step]);
        }
        this.#stack.pop();
        this.#completed(top.value);
        return;
      }
      case TokenType.STRING:
        if (top?.kind === "object" && (step === "first" || step === "afterComma")) {
          this.#key(top, raw as string);
          return;
        }
        break;
      case TokenType.SEPARATOR:
        this.#unexpected(token, offset, EXPECTED[step]);
    }
    // A value: it must be where a value may stand.
    if (top && !this.#takesValue(top)) this.#unexpected(token, offset, EXPECTED[step]);
    if (!top && this.#recordDepth === 1 && token !== TokenType.LEFT_BRACKET) {
      this.#unexpected(token, offset, "an array ('[')");
    }
    switch (token) {
      case TokenType.LEFT_BRACE:
      case TokenType.LEFT_BRACKET:
        this.#open(token === TokenType.LEFT_BRACE ? "object" : "array", offset);
        return;
      case TokenType.STRING:
        this.#completed(raw);
        return;
      case TokenType.NUMBER:
        this.#completed(numberFromText(raw as string));
        return;
      case TokenType.TRUE:
        this.#completed(true);
        return;
      case TokenType.FALSE:
        this.#completed(false);
        return;
      case TokenType.NULL:
        this.#completed(null);
        return;
    }
  }

  /** The input ended: throws unless the top-level value is complete. */
  end(offset: number): void {
    if (!this.#done) {
      throw new JsonSyntaxError(
        this.#started ? "the input ends inside a value (is it truncated?)" : "there is no JSON",
        offset,
      );
    }
  }

  #takesValue(frame: Frame): boolean {
    return frame.kind === "array"
      ? frame.step === "first" || frame.step === "afterComma"
      : frame.step === "afterColon";
  }

  #open(kind: "object" | "array", offset: number): void {
    if (this.#stack.length >= this.#maxDepth) {
      throw new JsonDepthError(formatJsonPath(this.#path()), offset, this.#maxDepth);
    }
    if (this.#stack.length === this.#recordDepth) this.#problems = [];
    // The array that lists the records is never built: each record leaves as it completes.
    const listsRecords = this.#recordDepth === 1 && this.#stack.length === 0;
    this.#stack.push({
      kind,
      value: listsRecords ? undefined : kind === "object" ? {} : [],
      step: "first",
      key: undefined,
      index: 0,
      skip: false,
    });
  }

  #key(frame: Frame, key: string): void {
    const object = frame.value as Record<string, unknown>;
    frame.key = key;
    frame.step = "afterKey";
    frame.skip = Object.hasOwn(object, key);
    if (frame.skip) {
      this.#problems.push({
        field: formatJsonPath(this.#path()),
        message: `the key ${JSON.stringify(key)} appears more than once in one object ` +
          "(JSON keys must be unique: which one was meant?)",
      });
    }
  }

  #completed(value: unknown): void {
    const depth = this.#stack.length;
    const parent = this.#stack[depth - 1];
    if (depth === this.#recordDepth) {
      if (parent) {
        parent.index++;
        parent.step = "afterValue";
      } else this.#done = true;
      const problems = this.#problems;
      this.#problems = [];
      this.#onRecord({ value, problems });
      return;
    }
    if (!parent) {
      // The array that lists the records closed.
      this.#done = true;
      return;
    }
    if (parent.kind === "array") {
      (parent.value as unknown[]).push(value);
      parent.index++;
    } else if (!parent.skip) {
      const object = parent.value as Record<string, unknown>;
      const key = parent.key!;
      // "__proto__" as data, as JSON.parse keeps it (an assignment would set the prototype).
      if (key === "__proto__") {
        Object.defineProperty(object, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else object[key] = value;
    }
    parent.step = "afterValue";
  }

  /** The path, inside the current record, of the value that comes next. */
  #path(): JsonPath {
    const path: JsonPath = [];
    for (let i = this.#recordDepth; i < this.#stack.length; i++) {
      const frame = this.#stack[i]!;
      if (frame.kind === "array") path.push(frame.index);
      else if (frame.step === "afterKey" || frame.step === "afterColon") path.push(frame.key!);
    }
    return path;
  }

  #unexpected(token: TokenType, offset: number, expected: string): never {
    throw new JsonSyntaxError(
      `unexpected ${NAMES[token] ?? "token"}, expected ${expected}`,
      offset,
    );
  }
}
