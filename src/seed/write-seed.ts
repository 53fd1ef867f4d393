/**
 * Writes a generated data set through the storage upserts, in one transaction, and, when a
 * late file is asked for, the late records to a JSON Lines file instead of the database (to be
 * imported later with `events import --recalculate`). The file appears, complete, only once
 * the database transaction has committed.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import process from "node:process";
import type { Policy, RiskEvent } from "../domain/schemas.ts";
import type { Db } from "../store/connection.ts";
import { upsertEvents } from "../store/events.ts";
import { upsertPolicies } from "../store/policies.ts";
import type { UpsertCounts } from "../store/upsert-counts.ts";
import type { SeedData } from "./generate.ts";

export const SEED_BATCH_ROWS = 5_000;

export interface SeedResult {
  seed: string;
  start: string;
  end: string;
  regions: string[];
  policies: UpsertCounts & { generated: number };
  events: UpsertCounts & { written: number; retracted: number };
  /** Late records (new events for past days and corrections), and where they went. */
  late: { records: number; file: string | null };
  /** sha256 of the generated data (policies, on-time and late records in order). */
  dataHash: string;
}

function addCounts(total: UpsertCounts, more: UpsertCounts): void {
  total.inserted += more.inserted;
  total.updated += more.updated;
  total.unchanged += more.unchanged;
}

/** A JSON Lines writer that honours back-pressure and writes to `file.tmp` until `commit`. */
function lateWriter(file: string) {
  const temp = `${file}.${process.pid}.tmp`;
  const stream = fs.createWriteStream(temp, { encoding: "utf8" });
  let failure: Error | undefined;
  stream.on("error", (error) => (failure = error));
  return {
    async write(event: RiskEvent): Promise<void> {
      if (failure) throw failure;
      if (!stream.write(JSON.stringify(event) + "\n")) {
        await new Promise<void>((resolve, reject) => {
          stream.once("drain", resolve);
          stream.once("error", reject);
        });
      }
    },
    async commit(): Promise<void> {
      await new Promise<void>((resolve, reject) =>
        stream.end((e?: Error | null) => (e ? reject(e) : resolve()))
      );
      if (failure) throw failure;
      await fs.promises.rename(temp, file);
    },
    async abort(): Promise<void> {
      stream.destroy();
      await fs.promises.rm(temp, { force: true });
    },
  };
}

export async function writeSeed(
  db: Db,
  data: SeedData,
  options: { lateFile?: string | undefined; batchRows?: number } = {},
): Promise<SeedResult> {
  const batchRows = options.batchRows ?? SEED_BATCH_ROWS;
  const hash = crypto.createHash("sha256");
  const result: SeedResult = {
    seed: data.options.seed,
    start: data.options.start,
    end: data.end,
    regions: [...data.options.regions],
    policies: { generated: 0, inserted: 0, updated: 0, unchanged: 0 },
    events: { written: 0, retracted: 0, inserted: 0, updated: 0, unchanged: 0 },
    late: { records: 0, file: options.lateFile ?? null },
    dataHash: "",
  };
  const late = options.lateFile ? lateWriter(options.lateFile) : undefined;
  try {
    await db.transaction(async (tx) => {
      let policies: Policy[] = [];
      const flushPolicies = async () => {
        if (policies.length > 0) addCounts(result.policies, await upsertPolicies(tx, policies));
        policies = [];
      };
      for (const policy of data.policies()) {
        hash.update(`P${JSON.stringify(policy)}\n`);
        result.policies.generated++;
        policies.push(policy);
        if (policies.length >= batchRows) await flushPolicies();
      }
      await flushPolicies();

      let events: RiskEvent[] = [];
      const flushEvents = async () => {
        if (events.length > 0) addCounts(result.events, await upsertEvents(tx, events));
        events = [];
      };
      for (const { onTime, late: lateVersion } of data.events()) {
        if (onTime) hash.update(`E${JSON.stringify(onTime)}\n`);
        if (lateVersion) {
          hash.update(`L${JSON.stringify(lateVersion)}\n`);
          result.late.records++;
        }
        // Without a late file the database gets each event's final state.
        const stored = late ? onTime : lateVersion ?? onTime;
        if (late && lateVersion) await late.write(lateVersion);
        if (!stored) continue;
        result.events.written++;
        if (stored.status === "retracted") result.events.retracted++;
        events.push(stored);
        if (events.length >= batchRows) await flushEvents();
      }
      await flushEvents();
    });
    await late?.commit();
  } catch (error) {
    await late?.abort();
    throw error;
  }
  result.dataHash = hash.digest("hex");
  return result;
}
