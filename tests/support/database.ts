/**
 * A fresh PostgreSQL database per test file: created and migrated before the file's tests,
 * dropped after them, kept (name printed) when a test failed so it can be inspected.
 */
import crypto from "node:crypto";
import process from "node:process";
import { after, anyTestFailed, before } from "./test.ts";
import { adminDatabaseUrl, serviceMissing } from "./env.ts";
import {
  connectDatabase,
  connectSql,
  type Database,
  type Sql,
} from "../../src/store/connection.ts";
import { runMigrations } from "../../src/store/migrate.ts";

export interface TestDatabase extends Database {
  name: string;
  url: string;
}

export function databaseUrlFor(name: string): string {
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 30);
  const name = `claims_test_${slug}_${crypto.randomBytes(4).toString("hex")}`;
  const admin = connectSql(adminDatabaseUrl, { max: 1, applicationName: "claims-tests" });
  try {
    await admin.unsafe(`create database "${name}"`);
  } catch (error) {
    throw serviceMissing(
      "PostgreSQL",
      `cannot create a test database via ${adminDatabaseUrl}`,
      error,
    );
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = databaseUrlFor(name);
  await runMigrations(url);
  const database = connectDatabase(url, { max: 10, applicationName: "claims-tests" });
  return { ...database, name, url };
}

export async function dropTestDatabase(name: string): Promise<void> {
  const admin: Sql = connectSql(adminDatabaseUrl, { max: 1, applicationName: "claims-tests" });
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/**
 * Registers before/after hooks for the calling test file and returns a handle whose fields
 * are ready inside tests.
 */
export function useTestDatabase(label: string): TestDatabase {
  const handle = {} as TestDatabase;
  before(async () => {
    Object.assign(handle, await createTestDatabase(label));
  });
  after(async () => {
    if (!handle.name) return;
    await handle.close();
    if (anyTestFailed() || process.env["KEEP_TEST_DB"] === "1") {
      console.error(`kept test database ${handle.name} for inspection (${handle.url})`);
      return;
    }
    await dropTestDatabase(handle.name);
  });
  return handle;
}
