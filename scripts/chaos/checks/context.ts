/**
 * What every final-state check gets, and what it returns: a list of problems, each naming the
 * policy, day and claim it is about (empty: the check passed). Checks read the database and
 * services directly; none trusts a counter the system under test reports about itself.
 */
import type { Db, Sql } from "../../../src/store/connection.ts";

export interface CheckContext {
  sql: Sql;
  db: Db;
  /** Policy-days the data set holds (sum of every policy's coverage days). */
  expectedPolicyDays: number;
  /** This run's own Redis (where the workers' lock keys live). */
  redisUrl: string;
  databaseName: string;
  lockTtlMs: number;
  /** Environment for `claims` subprocesses (DATABASE_URL …). */
  env: Record<string, string>;
}

export interface Check {
  name: string;
  /** One line: what the check proves. */
  description: string;
  run(ctx: CheckContext): Promise<string[]>;
}

export interface CheckResult {
  name: string;
  description: string;
  ok: boolean;
  /** How many problems were found. */
  problems: number;
  /** The first ones (the report stays small). */
  listed: string[];
  durationMs: number;
}

export const LISTED_PROBLEMS = 20;
