/**
 * Upper bound of a rerun's or a backfill's date range (SPEC: ranges over 10 years are refused),
 * apart from the Temporal definitions so that `claims rerun` checks its flags without loading
 * the Temporal SDK.
 */
export const MAX_RANGE_DAYS = 3653;
