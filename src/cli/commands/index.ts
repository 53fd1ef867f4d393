/** Every command of the CLI, in the order `--help` lists them. */
import type { RegisterCommand } from "../context.ts";
import { registerMigrate } from "./migrate.ts";
import { registerLocks } from "./locks.ts";
import { registerWorker } from "./worker.ts";
import { registerSchedule } from "./schedule.ts";
import { registerRerun } from "./rerun.ts";
import { registerPoliciesImport } from "./policies-import.ts";
import { registerEventsImport } from "./events-import.ts";
import { registerSeed } from "./seed.ts";
import { registerReport } from "./report.ts";
import { registerVerify } from "./verify.ts";
import { registerCalc } from "./calc.ts";
import { registerRuns } from "./runs.ts";

export const commands: RegisterCommand[] = [
  registerCalc,
  registerMigrate,
  registerLocks,
  registerWorker,
  registerSchedule,
  registerRerun,
  registerRuns,
  registerPoliciesImport,
  registerEventsImport,
  registerSeed,
  registerReport,
  registerVerify,
];
