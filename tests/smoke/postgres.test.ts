import assert from "node:assert/strict";
import { test } from "../support/test.ts";
import { useTestDatabase } from "../support/database.ts";

const database = useTestDatabase("smoke_pg");

test("PostgreSQL round trip on this file's own database", async () => {
  const [row] = await database.sql<{ name: string; answer: bigint }[]>`
    select current_database() as name, (2::bigint ^ 62)::bigint as answer`;
  assert.equal(row?.name, database.name);
  // int8 arrives as a bigint, never a lossy float.
  assert.equal(row?.answer, 4611686018427387904n);
});
