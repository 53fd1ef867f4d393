/**
 * `claims migrate`: creates the database named in DATABASE_URL when it does not exist and
 * applies the drizzle/ migrations over one dedicated connection under a PostgreSQL advisory
 * lock, so that every replica of a deployment may run it at start-up at the same moment.
 */
import type { RegisterCommand } from "../context.ts";

export const registerMigrate: RegisterCommand = (program, ctx) => {
  program
    .command("migrate")
    .description(
      "create the database when missing and apply pending migrations (safe to run concurrently)",
    )
    .option("--json", "print the result as JSON")
    .action(async (options: { json?: boolean }) => {
      const { run } = await import("../actions/migrate.ts");
      await run(ctx, options);
    });
};
