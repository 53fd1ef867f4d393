/**
 * The strict JSON reader of imports and `calc --input` (src/json): the same values as
 * JSON.parse for any JSON within the depth limit (a law over random documents), and the
 * differences on purpose: a depth limit checked while streaming, duplicate keys named at their
 * path, numbers kept as text where a float would change them, grammar errors with offsets.
 * Both lexers are held to it: the byte tokenizer of streamed .json files and the string lexer
 * of JSON Lines lines and calc inputs; every case runs through both and must agree.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { test } from "../../support/test.ts";
import { NumberText } from "../../../src/domain/number-text.ts";
import { parseStrictJson, parseStrictJsonText } from "../../../src/json/parse-strict.ts";
import {
  type BuiltRecord,
  JsonDepthError,
  JsonSyntaxError,
  MAX_JSON_DEPTH,
  NumberTextTokenizer,
  StrictJsonBuilder,
} from "../../../src/json/strict-builder.ts";

const encode = (text: string) => new TextEncoder().encode(text);

type Outcome = { ok: BuiltRecord } | { error: unknown };

/** Both lexers: the same value and problems, or the same kind of error. */
function parse(text: string): BuiltRecord {
  const outcome = (fn: () => BuiltRecord): Outcome => {
    try {
      return { ok: fn() };
    } catch (error) {
      return { error };
    }
  };
  const bytes = outcome(() => parseStrictJson(encode(text)));
  const chars = outcome(() => parseStrictJsonText(text));
  if ("ok" in bytes && "ok" in chars) {
    assert.deepEqual(chars.ok, bytes.ok, `the lexers disagree on ${text.slice(0, 80)}`);
    return chars.ok;
  }
  assert.ok("error" in bytes && "error" in chars, `only one lexer failed on ${text.slice(0, 80)}`);
  const [b, c] = [bytes.error as Error, chars.error as Error];
  assert.equal(c.constructor, b.constructor, `${c} / ${b}`);
  if (c instanceof JsonDepthError) assert.equal(c.field, (b as JsonDepthError).field);
  throw c;
}

/** NumberText back to the float JSON.parse would give, for comparisons. */
function asJsonParse(value: unknown): unknown {
  if (value instanceof NumberText) return Number(value.text);
  if (Array.isArray(value)) return value.map(asJsonParse);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, {
        value: asJsonParse(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

test("law: the same value as JSON.parse for any JSON within the depth limit", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: MAX_JSON_DEPTH - 1 }), fc.boolean(), (value, pretty) => {
      const text = JSON.stringify(value, null, pretty ? 2 : undefined);
      const built = parse(text);
      assert.deepEqual(built.problems, []);
      assert.deepEqual(asJsonParse(built.value), JSON.parse(text));
    }),
    { numRuns: 500 },
  );
  // Escapes of every kind, surrogate pairs and lone surrogates included.
  const escaped = '["\\u00e9\\n\\t\\"\\\\\\/", "\\ud83c\\udf27", "\\ud800", "\\udc00x", "é🌧"]';
  assert.deepEqual(parse(escaped).value, JSON.parse(escaped));
});

test("nesting: 8 levels parse, 9 are refused at their path, 200,000 are refused at once", () => {
  const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
  assert.deepEqual(parse(nested(MAX_JSON_DEPTH)).problems, []);
  assert.throws(() => parse(nested(MAX_JSON_DEPTH + 1)), (error: unknown) => {
    assert.ok(error instanceof JsonDepthError);
    assert.equal(error.field, "[0][0][0][0][0][0][0][0]");
    assert.match(error.message, /nested deeper than 8 levels/);
    return true;
  });
  const deep = `{"policy":{"tierPayoutsBps":${"[".repeat(200_000)}${"]".repeat(200_000)}}}`;
  const started = performance.now();
  assert.throws(() => parse(deep), (error: unknown) => {
    assert.ok(error instanceof JsonDepthError);
    assert.equal(error.field, "policy.tierPayoutsBps[0][0][0][0][0][0]");
    return true;
  });
  assert.ok(performance.now() - started < 5_000);
});

test("duplicate keys are problems at their path; the first value is kept", () => {
  const { value, problems } = parse('{"id":"A","id":"B","t":{"x":1,"y":2,"x":3}}');
  assert.deepEqual(problems.map((p) => p.field), ["id", "t.x"]);
  assert.match(problems[0]!.message, /the key "id" appears more than once in one object/);
  assert.deepEqual(value, { id: "A", t: { x: 1, y: 2 } });
  // "__proto__" is data, as with JSON.parse, and twice is a duplicate like any key.
  const proto = parse('{"__proto__":{"polluted":true}}');
  assert.equal(Object.getPrototypeOf(proto.value), Object.prototype);
  assert.deepEqual(Object.keys(proto.value as object), ["__proto__"]);
  assert.deepEqual(parse('{"__proto__":1,"__proto__":2}').problems.map((p) => p.field), [
    "__proto__",
  ]);
});

test("numbers: plain integers of up to 15 digits are numbers, anything a float could change is text", () => {
  const { value } = parse(
    "[1, -42, 123456789012345, 1234567890123456, 1000000.00000000001, 2.5, 1e3, -0, 0]",
  );
  assert.deepEqual(value, [
    1,
    -42,
    123456789012345,
    new NumberText("1234567890123456"),
    new NumberText("1000000.00000000001"),
    new NumberText("2.5"),
    new NumberText("1e3"),
    -0,
    0,
  ]);
});

test("grammar the tokenizer leaves to its consumer is checked, with the byte offset", () => {
  const cases: [string, number, RegExp][] = [
    ["[1 2]", 3, /unexpected a number, expected ',' or the closing bracket/],
    ['{"a" 1}', 5, /expected ':'/],
    ['{"a":1,}', 7, /unexpected }, expected a value/],
    ["[1,]", 3, /unexpected ]/],
    ["{,}", 1, /unexpected ,/],
    ["{} {}", 3, /expected the end of the input/],
    ['{"a":1]', 6, /unexpected ]/],
    ["[", 1, /ends inside a value/],
    ["", 0, /there is no JSON/],
    ['"\t"', 1, /unescaped control character U\+0009|Unexpected/],
  ];
  for (const [text, offset, message] of cases) {
    assert.throws(() => parseStrictJsonText(text), (error: unknown) => {
      assert.ok(error instanceof JsonSyntaxError, `${text}: ${error}`);
      assert.equal(error.offset, offset, text);
      assert.match(error.message, message, text);
      return true;
    });
    assert.throws(() => parseStrictJson(encode(text)), JsonSyntaxError, text);
  }
  for (
    const bad of [
      "{id: 1}",
      "[01]",
      "[1.]",
      "[1e]",
      "[-]",
      "[tru]",
      "[nulll]",
      '["\\x"]',
      "'a'",
      "[NaN]",
    ]
  ) {
    assert.throws(() => parse(bad), JsonSyntaxError, bad);
  }
});

test("records of a top-level array leave one at a time, numbered, the array itself never built", () => {
  const records: BuiltRecord[] = [];
  const builder = new StrictJsonBuilder(1, (r) => records.push(r));
  const tokenizer = new NumberTextTokenizer();
  tokenizer.onToken = ({ token, value, offset }) => builder.push(token, value, offset);
  tokenizer.write(encode('[{"id":"A"},{"id":"B","id":"C"},7]'));
  tokenizer.end();
  builder.end(0);
  assert.equal(builder.complete, true);
  assert.deepEqual(records.map((r) => r.value), [{ id: "A" }, { id: "B" }, 7]);
  assert.deepEqual(records.map((r) => r.problems.map((p) => p.field)), [[], ["id"], []]);
  assert.throws(() => {
    const b = new StrictJsonBuilder(1, () => {});
    const t = new NumberTextTokenizer();
    t.onToken = ({ token, value, offset }) => b.push(token, value, offset);
    t.write(encode('{"id":"A"}'));
  }, /expected an array/);
});
