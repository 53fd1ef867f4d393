/**
 * Many rows as one statement with a handful of parameters: each column travels as ONE text[]
 * parameter and `unnest(...)` turns the columns back into rows, cast to their types in SQL.
 *
 * Why not Drizzle's `.values([...])`: it binds one parameter per cell and builds the SQL text
 * cell by cell (~15 µs a cell measured here, 120 ms for 1,000 policies), and PostgreSQL caps a
 * statement at 65,535 parameters. Here the SQL text is constant and short whatever the row
 * count.
 *
 * Why each column is sent as the text of an array literal (`{"a","b",NULL}`) built here, not as
 * a JS array: postgres.js would serialise an array element by element (two regex replaces and
 * a new string each) after we had already turned every value into a string, which was a tenth
 * of the daily run's worker CPU, most of it garbage; a literal is one string per column, and
 * values that need no escaping (ids, dates, numbers) are joined in one step. PostgreSQL parses
 * it exactly, each element straight into the column's type (`$1::int8[]`). A literal is a
 * string to the driver, which also sidesteps postgres.js typing an array from its first
 * element and Drizzle's pass-through serialisers for date and timestamp types on the shared
 * client.
 */
import { getTableColumns, getTableName, type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";

export interface UnnestColumn {
  /** The column name in the unnest alias list (and, for inserts, the table column name). */
  name: string;
  /** The SQL type of a row's value (`u.name::type`). */
  type: string;
  /**
   * The SQL type the parameter is cast to: the values' own array type, so that PostgreSQL
   * parses each value once, straight into its type (text[] then a cast per row parsed every
   * value twice); text[] for values that are themselves arrays (cast per row), int4[] for the
   * indexes of a dictionary-encoded column.
   */
  arrayType: string;
  /** How many values (rows) the column holds. */
  length: number;
  /** The values as one PostgreSQL array literal of text (NULL for null). */
  literal: string;
  /**
   * For a dictionary-encoded column: its distinct values as an array literal; `literal` then
   * holds each row's 1-based index into it.
   */
  dictionary?: string;
}

/** Characters that must be backslash-escaped inside a quoted array element. */
const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;

function quoted(value: string): string {
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPED, "\\$&")}"` : `"${value}"`;
}

/**
 * `{"a","b",NULL}`: every element quoted (so that no value, whatever it holds, can split or
 * merge elements, and "NULL" stays a string), `"` and `\` escaped.
 */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  if (values.length === 0) return "{}";
  let plain = true;
  for (const v of values) {
    if (v === null || NEEDS_ESCAPE.test(v)) {
      plain = false;
      break;
    }
  }
  if (plain) return `{"${values.join('","')}"}`;
  return `{${values.map((v) => (v === null ? "NULL" : quoted(v))).join(",")}}`;
}

/** Numbers, bigints and booleans as t/f: their text never needs quoting. */
function bareArrayLiteral(values: readonly (number | bigint | string | null)[]): string {
  if (!values.includes(null)) return `{${values.join(",")}}`;
  return `{${values.map((v) => (v === null ? "NULL" : String(v))).join(",")}}`;
}

const column = (name: string, type: string, length: number, literal: string): UnnestColumn => ({
  name,
  type,
  arrayType: type === "text[]" ? "text[]" : `${type.replace(/ collate .*$/, "")}[]`,
  length,
  literal,
});

/** Encoders from JS values to the text PostgreSQL parses back exactly. */
export const unnestColumn = {
  text: (name: string, values: readonly (string | null)[]): UnnestColumn =>
    column(name, "text", values.length, textArrayLiteral(values)),
  /**
   * Identifiers: `COLLATE "C"` like the id columns, so that a join or `IN` against them can use
   * their indexes (a default-collation comparison cannot, and falls back to scanning the table).
   */
  id: (name: string, values: readonly string[]): UnnestColumn =>
    column(name, 'text collate "C"', values.length, textArrayLiteral(values)),
  int4: (name: string, values: readonly (number | null)[]): UnnestColumn =>
    column(name, "int4", values.length, bareArrayLiteral(values)),
  int8: (name: string, values: readonly (bigint | number | null)[]): UnnestColumn =>
    column(name, "int8", values.length, bareArrayLiteral(values)),
  /** JS prints the shortest text that reads back to the same double; PostgreSQL reads it so. */
  float8: (name: string, values: readonly (number | null)[]): UnnestColumn =>
    column(name, "float8", values.length, bareArrayLiteral(values)),
  bool: (name: string, values: readonly boolean[]): UnnestColumn =>
    column(name, "bool", values.length, bareArrayLiteral(values.map((v) => (v ? "t" : "f")))),
  date: (name: string, values: readonly string[]): UnnestColumn =>
    column(name, "date", values.length, textArrayLiteral(values)),
  /** Instants as epoch ms, written as ISO-8601 UTC. */
  instant: (name: string, values: readonly number[]): UnnestColumn =>
    column(
      name,
      "timestamptz",
      values.length,
      textArrayLiteral(values.map((ms) => new Date(ms).toISOString())),
    ),
  textArray: (name: string, values: readonly (readonly string[] | null)[]): UnnestColumn =>
    column(
      name,
      "text[]",
      values.length,
      textArrayLiteral(values.map((v) => (v === null ? null : textArrayLiteral(v)))),
    ),
};

/**
 * A column of few distinct values (one claim date, one writer, one calculator version for a
 * whole chunk): each row sends a small index into a dictionary sent once. The ledger insert of
 * a chunk carried the same run id and date a thousand times, a third of what the daily run
 * wrote to PostgreSQL's socket. Null stays null (an index of NULL reads as NULL).
 */
function dictionaryColumn(
  name: string,
  type: string,
  values: readonly (string | null)[],
): UnnestColumn {
  const index = new Map<string, number>();
  const codes: (number | null)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === null) {
      codes[i] = null;
      continue;
    }
    let code = index.get(v);
    if (code === undefined) index.set(v, code = index.size + 1);
    codes[i] = code;
  }
  return {
    name,
    type,
    arrayType: "int4[]",
    length: values.length,
    literal: bareArrayLiteral(codes),
    dictionary: textArrayLiteral([...index.keys()]),
  };
}

/** Dictionary-encoded forms of the encoders above, for columns of few distinct values. */
export const repeatedColumn = {
  text: (name: string, values: readonly (string | null)[]): UnnestColumn =>
    dictionaryColumn(name, "text", values),
  date: (name: string, values: readonly string[]): UnnestColumn =>
    dictionaryColumn(name, "date", values),
};

/** One text[] parameter holding `values` (for `= any(…)` and unnest). */
export function textArrayParam(values: readonly string[]): SQL {
  return sql`${sql.param(textArrayLiteral(values))}::text[]`;
}

/** `unnest($1::int8[], …) as u(a, b, …)`: all columns must have the same length. */
export function unnestFrom(columns: readonly UnnestColumn[], alias = "u"): SQL {
  const length = columns[0]?.length ?? 0;
  for (const c of columns) {
    if (c.length !== length) {
      throw new Error(`unnest column ${c.name} has ${c.length} values, expected ${length}`);
    }
  }
  const params = columns.map((c) => sql`${sql.param(c.literal)}::${sql.raw(c.arrayType)}`);
  const names = columns.map((c) => sql.identifier(c.name));
  return sql`unnest(${sql.join(params, sql`, `)}) as ${sql.identifier(alias)}(${
    sql.join(names, sql`, `)
  })`;
}

/** `u.name::type`: one column of the unnest, typed (`dictionary[u.name]` when encoded so). */
export function unnestRef(column: UnnestColumn, alias = "u"): SQL {
  const value = sql`${sql.identifier(alias)}.${sql.identifier(column.name)}`;
  if (column.dictionary === undefined) return sql`${value}::${sql.raw(column.type)}`;
  return sql`(${sql.param(column.dictionary)}::${sql.raw(column.type)}[])[${value}]`;
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
  return sql`${column} = any(${textArrayParam(values)})`;
}
