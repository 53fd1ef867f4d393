/**
 * What makes a stored policy impossible to verify: dates the calculator and PostgreSQL cannot
 * both represent with a day's margin (a row written before imports checked the supported range,
 * or by hand), a time zone the runtime does not know. Such a policy is reported on its own and
 * skipped; the others are still checked (one bad row must not disable the proof for all).
 */
import { isValidDate, isValidTimeZone } from "../domain/calendar.ts";
import { isSupportedDate, SUPPORTED_DATES } from "../domain/input-rules.ts";
import type { Policy } from "../domain/schemas.ts";

/** Why `policy` cannot be verified, or undefined when it can. */
export function unverifiablePolicy(policy: Policy): string | undefined {
  const problems: string[] = [];
  for (const field of ["coverageStart", "coverageEnd"] as const) {
    const date = policy[field];
    if (!isValidDate(date) || !isSupportedDate(date)) {
      problems.push(`${field} ${date} is outside the supported range ${SUPPORTED_DATES}`);
    }
  }
  if (problems.length === 0 && policy.coverageEnd < policy.coverageStart) {
    problems.push(
      `coverageEnd ${policy.coverageEnd} is before coverageStart ${policy.coverageStart}`,
    );
  }
  if (!isValidTimeZone(policy.timezone)) {
    problems.push(`timezone ${JSON.stringify(policy.timezone)} is not a known IANA time zone`);
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}
