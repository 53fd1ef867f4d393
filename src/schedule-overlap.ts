/**
 * Temporal schedule overlap policies (what happens when a run is due while one still runs), in
 * a module of their own: `claims schedule --help` lists them without loading the
 * configuration's validation (zod costs tens of milliseconds at start-up).
 */
export const SCHEDULE_OVERLAP_POLICIES = [
  "SKIP",
  "BUFFER_ONE",
  "BUFFER_ALL",
  "CANCEL_OTHER",
  "TERMINATE_OTHER",
  "ALLOW_ALL",
] as const;
export type ScheduleOverlapName = (typeof SCHEDULE_OVERLAP_POLICIES)[number];
