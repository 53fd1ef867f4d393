/**
 * The unnest columns (src/store/unnest.ts) travel as array literals built in JS: whatever a
 * value holds (quotes, backslashes, commas, braces, the word NULL, empty strings, non-ASCII,
 * nested arrays), PostgreSQL must read back exactly the rows that were sent, no element split,
 * merged or turned into NULL. Property-based over random strings, plus the edge cases by name.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { sql } from "drizzle-orm";
import {
  repeatedColumn as rep,
  textArrayLiteral,
  unnestColumn as col,
  unnestFrom,
  unnestRef,
} from "../../../src/store/unnest.ts";
import { useTestDatabase } from "../../support/database.ts";
import { test } from "../../support/test.ts";

const database = useTestDatabase("store_unnest");

const EDGE = [
  "",
  "NULL",
  "null",
  " padded ",
  'quote " inside',
  "back\\slash",
  '\\"',
  "a,b",
  "{braces}",
  "}",
  "tab\tand\nnewline",
  "ünïcødé ✓ 😀",
];

interface Row {
  t: string | null;
  n: number | null;
  b: boolean;
  tags: string[] | null;
  /** Sent dictionary-encoded (repeatedColumn). */
  repeated: string | null;
}

async function roundTrip(rows: readonly Row[]): Promise<Row[]> {
  const columns = [
    col.int4("i", rows.map((_, i) => i)),
    col.text("t", rows.map((r) => r.t)),
    col.int8("n", rows.map((r) => r.n)),
    col.bool("b", rows.map((r) => r.b)),
    col.textArray("tags", rows.map((r) => r.tags)),
  ];
  const repeated = rep.text("repeated", rows.map((r) => r.repeated));
  const result = await database.db.execute<
    {
      i: number;
      t: string | null;
      n: string | null;
      b: boolean;
      tags: string[] | null;
      repeated: string | null;
    }
  >(sql`select u.i::int4 as i, u.t as t, u.n::int8::text as n, u.b::bool as b,
    u.tags::text[] as tags, ${unnestRef(repeated)} as repeated
    from ${unnestFrom([...columns, repeated])} order by 1`);
  return [...result].map((r) => ({
    t: r.t,
    n: r.n === null ? null : Number(r.n),
    b: r.b,
    tags: r.tags,
    repeated: r.repeated,
  }));
}

test("edge-case strings come back exactly, as values and as array elements", async () => {
  const rows: Row[] = EDGE.map((t, i) => ({
    t,
    n: i - 3,
    b: i % 2 === 0,
    tags: [t, ...EDGE],
    repeated: EDGE[i % 3]!,
  }));
  rows.push(
    { t: null, n: null, b: false, tags: null, repeated: null },
    { t: "x", n: 0, b: true, tags: [], repeated: EDGE[1]! },
  );
  assert.deepEqual(await roundTrip(rows), rows);
});

test("random strings round-trip through the literals", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          t: fc.option(fc.string({ unit: "binary" }), { nil: null }),
          n: fc.option(fc.integer(), { nil: null }),
          b: fc.boolean(),
          tags: fc.option(fc.array(fc.string({ unit: "binary" }), { maxLength: 4 }), {
            nil: null,
          }),
          repeated: fc.option(fc.constantFrom("a", 'q"uote', "b\\s", "NULL", ""), {
            nil: null,
          }),
        }),
        { minLength: 1, maxLength: 30 },
      ),
      async (rows) => {
        // PostgreSQL text cannot hold NUL; every other code point must survive.
        const clean = rows.map((r) => ({
          ...r,
          t: r.t === null ? null : r.t.replaceAll("\0", ""),
          tags: r.tags === null ? null : r.tags.map((s) => s.replaceAll("\0", "")),
        }));
        assert.deepEqual(await roundTrip(clean), clean);
      },
    ),
    { numRuns: 60 },
  );
});

test("plain values are joined without escaping; others are escaped", () => {
  assert.equal(textArrayLiteral([]), "{}");
  assert.equal(textArrayLiteral(["a-1", "b.2"]), '{"a-1","b.2"}');
  assert.equal(textArrayLiteral(["NULL", null]), '{"NULL",NULL}');
  assert.equal(textArrayLiteral(['a"b', "c\\d"]), '{"a\\"b","c\\\\d"}');
});
