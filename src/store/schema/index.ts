/** The whole database schema (drizzle-kit reads this file to generate migrations). */
export * from "./policies.ts";
export * from "./events.ts";
export * from "./claims.ts";
export * from "./ledger.ts";
export * from "./audit.ts";
export * from "./lock-fences.ts";
export * from "./event-revisions.ts";
export * from "./write-refusals.ts";
