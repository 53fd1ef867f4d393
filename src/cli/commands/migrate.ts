/**
 * `claims migrate`: creates the database named in DATABASE_URL when it does not exist and
 * applies the drizzle/ migrations over one dedicated connection under a PostgreSQL advisory
 * lock, so that every replica of a deployment may run it at start-up at the same moment.
 */
import { runMigrations } from "../../store/migrate.ts";
import type { RegisterCommand } from "../context.ts";
import { writeJson } from "../io.ts";

export const registerMigrate: RegisterCommand = (program, ctx) => {
  program
    .command("migrate")
    .description(
      "create the database when missing and apply pending migrations (safe to run concurrently)",
    )
    .option("--json", "print the result as JSON")
    .action(async (options: { json?: boolean }) => {
      const config = ctx.config();
      const result = await runMigrations(config.databaseUrl, config.database);
      if (options.json) {
        writeJson(ctx.io.stdout, { ...result, alreadyApplied: result.total - result.applied });
        return;
      }
      const out = ctx.io.stdout;
      out.write(
        `database "${result.database}": ${result.databaseCreated ? "created" : "exists"}\n`,
      );
      out.write(
        result.applied > 0
          ? `migrations: applied ${result.applied} of ${result.total}\n`
          : `migrations: up to date (${result.total} already applied)\n`,
      );
    });
};
