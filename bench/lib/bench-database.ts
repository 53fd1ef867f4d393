/**
 * A database of its own for one benchmark run: created and migrated (runMigrations, the same
 * path a deployment takes), dropped at the end whatever happened. The server comes from
 * DATABASE_URL (default: local PostgreSQL); the name is random so that runs never collide.
 */
import crypto from "node:crypto";
import process from "node:process";
import { DEFAULTS } from "../../src/config.ts";
import { connectSql, splitDatabaseUrl } from "../../src/store/connection.ts";
import { runMigrations } from "../../src/store/migrate.ts";

export interface BenchDatabase {
  name: string;
  url: string;
  migrationsApplied: number;
  drop(): Promise<void>;
}

export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const slug = label.toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 30);
  const name = `claims_bench_${slug}_${crypto.randomBytes(4).toString("hex")}`;
  const url = new URL(process.env["DATABASE_URL"] || DEFAULTS.DATABASE_URL);
  url.pathname = `/${name}`;
  const drop = async () => {
    const admin = connectSql(splitDatabaseUrl(url.toString()).maintenanceUrl, { max: 1 });
    try {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
    } finally {
      await admin.end({ timeout: 5 });
    }
  };
  try {
    // runMigrations creates the database named in the URL when it does not exist.
    const migrated = await runMigrations(url.toString());
    return { name, url: url.toString(), migrationsApplied: migrated.applied, drop };
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
}
