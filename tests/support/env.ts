import process from "node:process";

/** True on CI, where a missing service must fail the run, never skip a test. */
export const isCI = ["true", "1"].includes(process.env["CI"] ?? "");

export const adminDatabaseUrl = process.env["TEST_PG_ADMIN_URL"] ??
  "postgres://postgres@127.0.0.1:5432/postgres";

export const testRedisUrl = process.env["TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";

export function serviceMissing(name: string, detail: string, cause?: unknown): Error {
  return new Error(
    `${name} is not available (${detail}); run 'make services' first` +
      (isCI ? " [CI=true: a missing service fails the run]" : ""),
    { cause },
  );
}
