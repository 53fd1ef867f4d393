/**
 * Many rows as one statement with a handful of parameters: each column travels as ONE text[]
 * parameter and `unnest(...)` turns the columns back into rows, cast to their types in SQL.
 *
 * Why not Drizzle's `.values([...])`: it binds one parameter per cell and builds the SQL text
 * cell by cell (~15 µs a cell measured here, 120 ms for 1,000 policies), and PostgreSQL caps a
 * statement at 65,535 parameters. Here the SQL text is constant and short whatever the row
 * count. Why text for every column: postgres.js types an array parameter from its first element
 * (a bigint or boolean element makes it int8/bool, which the server then refuses to cast to an
 * array), and Drizzle installs pass-through serialisers for date and timestamp types on the
 * shared client; text is serialised the same way everywhere and PostgreSQL parses it exactly.
 */
import { getTableColumns, getTableName, type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";

export interface UnnestColumn {
  /** The column name in the unnest alias list (and, for inserts, the table column name). */
  name: string;
  /** The SQL type each text value is cast to. */
  type: string;
  values: readonly (string | null)[];
}

const text = (name: string, values: readonly (string | null)[]): UnnestColumn => ({
  name,
  type: "text",
  values,
});

/** Encoders from JS values to the text PostgreSQL parses back exactly. */
export const unnestColumn = {
  text,
  /**
   * Identifiers: `COLLATE "C"` like the id columns, so that a join or `IN` against them can use
   * their indexes (a default-collation comparison cannot, and falls back to scanning the table).
   */
  id: (name: string, values: readonly string[]): UnnestColumn => ({
    name,
    type: 'text collate "C"',
    values,
  }),
  int4: (name: string, values: readonly (number | null)[]): UnnestColumn => ({
    name,
    type: "int4",
    values: values.map((v) => (v === null ? null : String(v))),
  }),
  int8: (name: string, values: readonly (bigint | number | null)[]): UnnestColumn => ({
    name,
    type: "int8",
    values: values.map((v) => (v === null ? null : v.toString())),
  }),
  /** JS prints the shortest text that reads back to the same double; PostgreSQL reads it so. */
  float8: (name: string, values: readonly (number | null)[]): UnnestColumn => ({
    name,
    type: "float8",
    values: values.map((v) => (v === null ? null : String(v))),
  }),
  bool: (name: string, values: readonly boolean[]): UnnestColumn => ({
    name,
    type: "bool",
    values: values.map((v) => (v ? "t" : "f")),
  }),
  date: (name: string, values: readonly string[]): UnnestColumn => ({
    name,
    type: "date",
    values,
  }),
  /** Instants as epoch ms, written as ISO-8601 UTC. */
  instant: (name: string, values: readonly number[]): UnnestColumn => ({
    name,
    type: "timestamptz",
    values: values.map((ms) => new Date(ms).toISOString()),
  }),
  textArray: (name: string, values: readonly (readonly string[] | null)[]): UnnestColumn => ({
    name,
    type: "text[]",
    values: values.map((v) => (v === null ? null : arrayLiteral(v))),
  }),
};

/** A PostgreSQL array literal of strings: every element quoted, `"` and `\` escaped. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(",")}}`;
}

/** `unnest($1::text[], …) as u(a, b, …)`: all columns must have the same length. */
export function unnestFrom(columns: readonly UnnestColumn[], alias = "u"): SQL {
  const length = columns[0]?.values.length ?? 0;
  for (const c of columns) {
    if (c.values.length !== length) {
      throw new Error(`unnest column ${c.name} has ${c.values.length} values, expected ${length}`);
    }
  }
  const params = columns.map((c) => sql`${sql.param(c.values)}::text[]`);
  const names = columns.map((c) => sql.identifier(c.name));
  return sql`unnest(${sql.join(params, sql`, `)}) as ${sql.identifier(alias)}(${
    sql.join(names, sql`, `)
  })`;
}

/** `u.name::type`: one column of the unnest, typed. */
export function unnestRef(column: UnnestColumn, alias = "u"): SQL {
  return sql`${sql.identifier(alias)}.${sql.identifier(column.name)}::${sql.raw(column.type)}`;
}

/**
 * `select … from unnest(…)` producing every insertable column of `table` in the table's order,
 * which is what Drizzle's `insert(table).select(sql)` writes as the column list. Each column is
 * either one of `columns` (matched by column name) or an SQL expression in `computed` (by the
 * column's property key, e.g. `updatedAt: sql\`statement_timestamp()\``). Identity columns
 * (BY DEFAULT) not given get the next value of their own sequence, as a plain insert would.
 */
export function unnestSelectFor(
  table: PgTable,
  columns: readonly UnnestColumn[],
  computed: Record<string, SQL> = {},
): SQL {
  const byName = new Map(columns.map((c) => [c.name, c]));
  const list: SQL[] = [];
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    // The very test Drizzle's insert builder uses for its column list (marked internal in its
    // typings): identity columns generated "always" are left out.
    if ((column as unknown as { shouldDisableInsert(): boolean }).shouldDisableInsert()) continue;
    const given = byName.get(column.name);
    const expression = given ? unnestRef(given) : computed[key] ?? identityValue(table, column);
    if (!expression) throw new Error(`insert into ${column.name}: no value given`);
    byName.delete(column.name);
    list.push(expression);
  }
  if (byName.size > 0) throw new Error(`unknown columns ${[...byName.keys()].join(", ")}`);
  return sql`select ${sql.join(list, sql`, `)} from ${unnestFrom(columns)}`;
}

function identityValue(table: PgTable, column: PgColumn): SQL | undefined {
  if (!column.generatedIdentity) return undefined;
  return sql`nextval(pg_get_serial_sequence(${getTableName(table)}, ${column.name}))`;
}

/** `column = any($1::text[])`: membership in a list of any length as one parameter. */
export function inTextList(column: PgColumn, values: readonly string[]): SQL {
  return sql`${column} = any(${sql.param(values)}::text[])`;
}
