/** The body of `claims migrate` (src/cli/commands/migrate.ts). */
import { runMigrations } from "../../store/migrate.ts";
import type { CliContext } from "../context.ts";
import { writeJson } from "../io.ts";

export async function run(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const config = ctx.config();
  const result = await runMigrations(config.databaseUrl, config.database);
  if (options.json) {
    writeJson(ctx.io.stdout, { ...result, alreadyApplied: result.total - result.applied });
    return;
  }
  const out = ctx.io.stdout;
  out.write(`database "${result.database}": ${result.databaseCreated ? "created" : "exists"}\n`);
  out.write(
    result.applied > 0
      ? `migrations: applied ${result.applied} of ${result.total}\n`
      : `migrations: up to date (${result.total} already applied)\n`,
  );
}
