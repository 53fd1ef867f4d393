/**
 * The data of the run: a reproducible book of policies and events (src/seed/generate.ts through
 * the storage upserts), with the late records held back in JSON Lines files that the run
 * imports while it computes (`events import FILE --recalculate`), each at its own moment.
 */
import fs from "node:fs";
import path from "node:path";
import { addDays, daysBetween } from "../../src/domain/calendar.ts";
import { generateSeed } from "../../src/seed/generate.ts";
import { type SeedResult, writeSeed } from "../../src/seed/write-seed.ts";
import { connectDatabase } from "../../src/store/connection.ts";
import type { ChaosProfile } from "./profiles.ts";

export interface Workload {
  seed: string;
  /** Every claim date of the data set, ascending. */
  dates: string[];
  /** Policy ids, ascending (code-unit order). */
  policyIds: string[];
  /** Sum over the policies of the days their coverage holds: what the ledger must end with. */
  policyDays: number;
  regions: string[];
  timeZones: number;
  events: { onTime: number; late: number };
  /** The late records, split into files imported at different moments. */
  lateFiles: string[];
  dataHash: string;
}

export async function seedWorkload(
  databaseUrl: string,
  profile: ChaosProfile,
  seed: string,
  dir: string,
): Promise<Workload> {
  const data = generateSeed({
    policies: profile.policies,
    days: profile.days,
    eventsPerDay: profile.eventsPerDay,
    seed,
    start: profile.start,
    lateShare: profile.lateShare,
  });
  let policyDays = 0;
  const zones = new Set<string>();
  const policyIds: string[] = [];
  for (const policy of data.policies()) {
    policyIds.push(policy.id);
    zones.add(policy.timezone);
    policyDays += daysBetween(policy.coverageStart, policy.coverageEnd) + 1;
  }
  if (policyDays < profile.minPolicyDays) {
    throw new Error(
      `profile ${profile.name}: the data set has ${policyDays} policy-days, fewer than the ` +
        `${profile.minPolicyDays} it promises (raise policies or days)`,
    );
  }
  const lateAll = path.join(dir, "late-events.jsonl");
  const database = connectDatabase(databaseUrl, { max: 2, applicationName: "claims-chaos" });
  let result: SeedResult;
  try {
    result = await writeSeed(database.db, data, { lateFile: lateAll });
  } finally {
    await database.close();
  }
  const lateFiles = splitLines(lateAll, profile.lateImports, dir);
  return {
    seed,
    dates: Array.from({ length: profile.days }, (_, i) => addDays(profile.start, i)),
    policyIds: policyIds.sort(),
    policyDays,
    regions: result.regions,
    timeZones: zones.size,
    events: { onTime: result.events.written, late: result.late.records },
    lateFiles,
    dataHash: result.dataHash,
  };
}

/**
 * `parts` files (`late-1.jsonl` …): the first holds one record, the others share the rest. A
 * single late event touches up to one day of each policy of its region, which `events import
 * --recalculate` recomputes one workflow per day; the bigger files tend to pass
 * --max-recalculate and take the batched rerun the command names. Both paths get exercised.
 */
function splitLines(file: string, parts: number, dir: string): string[] {
  const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
  const groups: string[][] = [];
  if (parts <= 1 || lines.length <= 1) groups.push(lines);
  else {
    groups.push(lines.slice(0, 1));
    const rest = lines.slice(1);
    const size = Math.ceil(rest.length / (parts - 1));
    for (let i = 0; i < rest.length; i += size) groups.push(rest.slice(i, i + size));
  }
  return groups.filter((g) => g.length > 0).map((group, i) => {
    const part = path.join(dir, `late-${i + 1}.jsonl`);
    fs.writeFileSync(part, group.join("\n") + "\n");
    return part;
  });
}
