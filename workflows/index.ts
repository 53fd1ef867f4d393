/** Every workflow of the claims worker: the bundler's entry point (Worker `workflowsPath`). */
export { policyDayWorkflow } from "./policy-day.ts";
export { dailyRunWorkflow } from "./daily-run.ts";
export { rerunWorkflow } from "./rerun.ts";
