/** The pure domain: no I/O, no clock, no environment. Runs unchanged on Node and Deno. */
export * from "./calendar.ts";
export * from "./calculate.ts";
export * from "./money.ts";
export * from "./prepared-events.ts";
export * from "./schemas.ts";
export * from "./version.ts";
