/** The body of `claims seed` (src/cli/commands/seed.ts): generate, write, summarise. */
import { ZodError } from "zod";
import { problemsOf } from "../../domain/schemas.ts";
import { ClaimsError, ErrorCodes } from "../../errors.ts";
import { generateSeed, type SeedData } from "../../seed/generate.ts";
import { writeSeed } from "../../seed/write-seed.ts";
import type { CliContext } from "../context.ts";
import { resolveFile } from "../flags.ts";
import { writeJson } from "../io.ts";
import { withDatabase } from "./with-database.ts";

export interface SeedFlags {
  policies: number;
  days: number;
  eventsPerDay: number;
  seed: string;
  regions?: string;
  start?: string;
  lateFile?: string;
  json?: boolean;
}

const FLAG_NAMES: Record<string, string> = {
  policies: "--policies",
  days: "--days",
  eventsPerDay: "--events-per-day",
  seed: "--seed",
  regions: "--regions",
  start: "--start",
};

function generate(flags: SeedFlags): SeedData {
  try {
    return generateSeed({
      policies: flags.policies,
      days: flags.days,
      eventsPerDay: flags.eventsPerDay,
      seed: flags.seed,
      ...(flags.regions !== undefined
        ? { regions: flags.regions.split(",").map((r) => r.trim()) }
        : {}),
      ...(flags.start !== undefined ? { start: flags.start } : {}),
    });
  } catch (error) {
    if (!(error instanceof ZodError)) throw error;
    const problems = problemsOf(error).map((p) => {
      const flag = FLAG_NAMES[p.path.split(/[.[]/)[0] ?? ""] ?? p.path;
      return `${flag}: ${p.message}`;
    });
    throw new ClaimsError(ErrorCodes.INPUT_INVALID, problems.join("; "), { cause: error });
  }
}

export async function run(ctx: CliContext, flags: SeedFlags): Promise<void> {
  const data = generate(flags);
  const lateFile = flags.lateFile ? resolveFile(ctx, flags.lateFile) : undefined;
  const started = performance.now();
  const result = await withDatabase(
    ctx,
    "seeding",
    (database) => writeSeed(database.db, data, { lateFile }),
  );
  const durationMs = Math.round(performance.now() - started);
  if (flags.json) {
    writeJson(ctx.io.stdout, {
      ...result,
      late: { ...result.late, file: flags.lateFile ?? null },
      durationMs,
    });
    return;
  }
  const p = result.policies;
  const e = result.events;
  const out = ctx.io.stdout;
  out.write(
    `seed "${result.seed}": ${result.start}..${result.end}, regions ${result.regions.join(",")}\n`,
  );
  out.write(
    `policies: ${p.generated} (${p.inserted} inserted, ${p.updated} updated, ${p.unchanged} unchanged)\n`,
  );
  out.write(
    `events: ${e.written} written, ${e.retracted} of them retracted (${e.inserted} inserted, ${e.updated} updated, ${e.unchanged} unchanged)\n`,
  );
  out.write(
    flags.lateFile
      ? `late records: ${result.late.records} written to ${flags.lateFile}\n`
      : `late records: ${result.late.records} (stored with the rest; use --late-file to hold them back)\n`,
  );
  out.write(`data hash: sha256:${result.dataHash}\n`);
  out.write(`done in ${(durationMs / 1000).toFixed(1)} s\n`);
}
