/**
 * drizzle-kit configuration: `npx drizzle-kit generate` writes migrations into drizzle/ from
 * src/store/schema. Strict: it refuses to run against a database without DATABASE_URL.
 */
import process from "node:process";
import { defineConfig } from "drizzle-kit";

const url = process.env["DATABASE_URL"];
const command = process.argv.find((a) =>
  ["generate", "check", "migrate", "push", "pull", "studio"].includes(a)
);
if (!url && command !== "generate" && command !== "check") {
  throw new Error(
    "DATABASE_URL is required for drizzle-kit " + (command ?? "") +
      " (e.g. postgres://postgres@127.0.0.1:5432/claims)",
  );
}

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/store/schema/index.ts",
  out: "./drizzle",
  strict: true,
  verbose: true,
  casing: "snake_case",
  ...(url ? { dbCredentials: { url } } : {}),
});
