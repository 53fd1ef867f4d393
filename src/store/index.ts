/**
 * The storage layer (PostgreSQL through postgres.js + Drizzle): connections and migrations,
 * upserts of policies and events, the inputs of policy-day computations, the fenced write
 * path, and the reading helpers other commands use. Every function takes the Drizzle handle
 * (`Database.db`) as its first argument.
 */
export {
  connectDatabase,
  type ConnectOptions,
  connectSql,
  type Database,
  type Db,
  type Executor,
  pgCode,
  PgCodes,
  rootDatabaseError,
  splitDatabaseUrl,
  type Sql,
} from "./connection.ts";
export {
  ensureDatabase,
  type MigrateResult,
  MIGRATION_LOCK_KEY,
  migrationsFolder,
  runMigrations,
} from "./migrate.ts";
export { isTransientStorageError, storageError } from "./storage-errors.ts";
export type { UpsertCounts } from "./upsert-counts.ts";
export {
  loadPolicies,
  loadPolicy,
  loadVersionedPolicies,
  type PolicyUpsertResult,
  type UpsertOptions,
  upsertPolicies,
  type VersionedPolicy,
} from "./policies.ts";
export { type EventChange, type EventUpsertResult, toRiskEvent, upsertEvents } from "./events.ts";
export {
  loadPolicyDay,
  loadPolicyDays,
  type PolicyDayBatch,
  type PolicyDayInputs,
} from "./policy-day-inputs.ts";
export {
  type CoveringPage,
  listCoveringPolicyIds,
  listCoveringPolicyIdsAmong,
  MAX_PAGE_SIZE,
} from "./covering-policies.ts";
export {
  loadClaimsOfPolicies,
  loadPolicyClaims,
  type StoredClaim,
  toDomainClaim,
} from "./claims.ts";
export {
  type LedgerEntry,
  loadLedgerEntries,
  loadLedgerEntry,
  loadPolicyLedger,
} from "./ledger.ts";
export type { PolicyDayOutcome, PolicyDayStatus, PolicyDayWrite } from "./policy-day-types.ts";
export {
  assertNotStale,
  writePolicyDay,
  writePolicyDays,
  type WritePolicyDaysOptions,
} from "./write-policy-days.ts";
export * from "./schema/index.ts";
