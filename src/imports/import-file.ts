/**
 * `policies import` and `events import`: validate every row (nothing is written when one is
 * bad), then upsert all rows by id in ONE transaction (a failure half-way leaves nothing
 * behind). Importing the same file twice changes nothing the second time and says so.
 * For events, the transaction also works out which policy-days the new and changed events
 * affect (old and new version of each), so the caller can recalculate exactly those.
 */
import path from "node:path";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import type { Db } from "../store/connection.ts";
import { upsertEvents } from "../store/events.ts";
import { upsertPolicies } from "../store/policies.ts";
import { storageError } from "../store/storage-errors.ts";
import { AffectedInstants, type PolicyDay } from "./affected-days.ts";
import { findAffectedPolicyDays } from "./affected-days-query.ts";
import type { ImportKind } from "./records.ts";
import { validRowBatches } from "./valid-rows.ts";
import type { FileValidation } from "./validate-file.ts";

/** Rows per upsert call: large enough for few round trips, small enough to bound memory. */
export const IMPORT_BATCH_ROWS = 5_000;

export interface ImportResult {
  file: string;
  kind: ImportKind;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface EventImportResult extends ImportResult {
  kind: "events";
  /** Policy-days whose claims the new or changed events can change, by policy then date. */
  affected: PolicyDay[];
}

export async function importPolicies(
  db: Db,
  validation: FileValidation & { kind: "policies" },
  batchRows = IMPORT_BATCH_ROWS,
): Promise<ImportResult> {
  const result: ImportResult = {
    file: validation.file,
    kind: "policies",
    rows: validation.rows,
    inserted: 0,
    updated: 0,
    unchanged: 0,
  };
  try {
    await db.transaction(async (tx) => {
      for await (const batch of validRowBatches(validation, batchRows)) {
        const counts = await upsertPolicies(tx, batch);
        result.inserted += counts.inserted;
        result.updated += counts.updated;
        result.unchanged += counts.unchanged;
      }
    });
  } catch (error) {
    throw importFailed(validation.file, error);
  }
  return result;
}

/**
 * The transaction rolled back: say so, naming the file, and keep the storage error's code
 * (SERVICE_UNAVAILABLE maps to exit 3, STORAGE_FAILED to 1) and the error as cause.
 */
function importFailed(file: string, error: unknown): ClaimsError {
  const what = `importing ${path.basename(file)}`;
  const failure = storageError(what, error);
  if (failure.code === ErrorCodes.INPUT_INVALID) return failure;
  const detail = failure.message.startsWith(`${what} failed: `)
    ? failure.message.slice(what.length + 9)
    : failure.message;
  return new ClaimsError(failure.code, `${what} failed, nothing was written: ${detail}`, {
    cause: error,
  });
}

export async function importEvents(
  db: Db,
  validation: FileValidation & { kind: "events" },
  batchRows = IMPORT_BATCH_ROWS,
): Promise<EventImportResult> {
  const result: EventImportResult = {
    file: validation.file,
    kind: "events",
    rows: validation.rows,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    affected: [],
  };
  try {
    await db.transaction(async (tx) => {
      const versions = new AffectedInstants();
      for await (const batch of validRowBatches(validation, batchRows)) {
        const upserted = await upsertEvents(tx, batch);
        result.inserted += upserted.inserted;
        result.updated += upserted.updated;
        result.unchanged += upserted.unchanged;
        for (const change of upserted.changes) {
          versions.add(change.event);
          versions.add(change.previous);
        }
      }
      if (versions.size > 0) result.affected = await findAffectedPolicyDays(tx, versions);
    });
  } catch (error) {
    throw importFailed(validation.file, error);
  }
  return result;
}
