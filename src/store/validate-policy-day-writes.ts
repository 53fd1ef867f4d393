/**
 * Checks of a batch of policy-day writes before any statement runs. Writes come from activities
 * (Temporal payloads, so possibly from an older worker build) and must be exactly what the
 * domain produces; anything else is INPUT_INVALID naming the write and the field.
 */
import { isValidDate } from "../domain/calendar.ts";
import { ID_PATTERN, type Policy, TIERS } from "../domain/schemas.ts";
import { ClaimsError, ErrorCodes } from "../errors.ts";
import type { PolicyDayWrite } from "./policy-day-types.ts";
import { covers, outOfCoverage } from "./policy-day-inputs.ts";
import { policiesNotFound } from "./policies.ts";

const MAX_TEXT = 1000;
const TIER_SET: ReadonlySet<string> = new Set(TIERS);

function invalid(index: number, write: PolicyDayWrite, field: string, problem: string): never {
  const where = typeof write?.policyId === "string" && typeof write?.claimDate === "string"
    ? ` (policy "${write.policyId}", ${write.claimDate})`
    : "";
  throw new ClaimsError(
    ErrorCodes.INPUT_INVALID,
    `writes[${index}]${where}: ${field} ${problem}`,
  );
}

const show = (value: unknown): string =>
  typeof value === "bigint" ? `${value}n` : JSON.stringify(value) ?? String(value);

function isBps(value: unknown): boolean {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 10_000;
}

/** Throws INPUT_INVALID at the first malformed write. */
export function validatePolicyDayWrites(writes: readonly PolicyDayWrite[]): void {
  const versionOf = new Map<string, string>();
  // A chunk's writes share one or a few dates: each distinct date is checked once.
  let validDate = "";
  writes.forEach((w, i) => {
    if (typeof w?.policyId !== "string" || !ID_PATTERN.test(w.policyId)) {
      invalid(i, w, "policyId", `must match ${ID_PATTERN.source}, got ${show(w?.policyId)}`);
    }
    if (w.claimDate !== validDate) {
      if (typeof w.claimDate !== "string" || !isValidDate(w.claimDate)) {
        invalid(i, w, "claimDate", `must be an existing YYYY-MM-DD date, got ${show(w.claimDate)}`);
      }
      validDate = w.claimDate;
    }
    if (typeof w.fenceToken !== "bigint" || w.fenceToken < 0n) {
      invalid(i, w, "fenceToken", `must be a non-negative bigint, got ${show(w.fenceToken)}`);
    }
    for (const field of ["writtenBy", "inputsHash"] as const) {
      const value = w[field];
      if (typeof value !== "string" || value.length === 0 || value.length > MAX_TEXT) {
        invalid(i, w, field, `must be a string of 1-${MAX_TEXT} characters, got ${show(value)}`);
      }
    }
    if (!Number.isSafeInteger(w.eventsCount) || w.eventsCount < 0) {
      invalid(i, w, "eventsCount", `must be a non-negative integer, got ${show(w.eventsCount)}`);
    }
    if (!Array.isArray(w.candidates)) {
      invalid(i, w, "candidates", `must be an array, got ${show(w.candidates)}`);
    }
    if (w.basis !== undefined) {
      const { policy, version } = w.basis ?? {};
      if (policy?.id !== w.policyId) {
        invalid(i, w, "basis.policy.id", `must be the write's policy, got ${show(policy?.id)}`);
      }
      if (typeof version !== "string" || !/^[0-9]{1,20}$/.test(version)) {
        invalid(i, w, "basis.version", `must be a row version (digits), got ${show(version)}`);
      }
      const other = versionOf.get(w.policyId);
      if (other !== undefined && other !== version) {
        invalid(i, w, "basis.version", `is ${version}, another write of the policy read ${other}`);
      }
      versionOf.set(w.policyId, version);
    }
    if (w.eventsRevision !== undefined) {
      if (w.basis === undefined) {
        invalid(i, w, "eventsRevision", "is checked against the basis policy's window: give basis");
      }
      if (!Number.isSafeInteger(w.eventsRevision) || w.eventsRevision < 0) {
        invalid(
          i,
          w,
          "eventsRevision",
          `must be a non-negative integer, got ${show(w.eventsRevision)}`,
        );
      }
    }
    if (w.cause !== undefined && w.cause !== "policy_amended") {
      invalid(i, w, "cause", `must be "policy_amended" or absent, got ${show(w.cause)}`);
    }
    if (w.candidates.length === 0) return;
    const keys = new Set<string>();
    w.candidates.forEach((c, j) => {
      const at = `candidates[${j}]`;
      if (c?.claimDate !== w.claimDate) {
        invalid(
          i,
          w,
          `${at}.claimDate`,
          `must be the write's day ${w.claimDate}, got ${show(c?.claimDate)}`,
        );
      }
      if (typeof c.claimKey !== "string" || c.claimKey.length === 0) {
        invalid(i, w, `${at}.claimKey`, `must be a non-empty string, got ${show(c.claimKey)}`);
      }
      if (keys.has(c.claimKey)) invalid(i, w, `${at}.claimKey`, `repeats ${show(c.claimKey)}`);
      keys.add(c.claimKey);
      if (!TIER_SET.has(c.tier)) {
        invalid(i, w, `${at}.tier`, `must be one of ${TIERS.join(", ")}, got ${show(c.tier)}`);
      }
      if (
        !Array.isArray(c.eventIds) || c.eventIds.length === 0 ||
        !c.eventIds.every((id) => typeof id === "string" && ID_PATTERN.test(id))
      ) {
        invalid(
          i,
          w,
          `${at}.eventIds`,
          `must be a non-empty array of event ids, got ${show(c.eventIds)}`,
        );
      }
      if (!isBps(c.uncappedBps)) {
        invalid(
          i,
          w,
          `${at}.uncappedBps`,
          `must be an integer from 0 to 10000, got ${show(c.uncappedBps)}`,
        );
      }
      if (!Number.isSafeInteger(c.firstObservedAtMs)) {
        invalid(
          i,
          w,
          `${at}.firstObservedAtMs`,
          `must be an integer epoch ms, got ${show(c.firstObservedAtMs)}`,
        );
      }
    });
  });
}

/**
 * Every write must target an existing policy (POLICY_NOT_FOUND, naming all missing ids) on a
 * date inside its coverage (OUT_OF_COVERAGE). Either fails the whole call: nothing is written.
 */
export function checkTargets(
  policies: ReadonlyMap<string, Policy>,
  writes: readonly PolicyDayWrite[],
): void {
  const missing = [...new Set(writes.map((w) => w.policyId).filter((id) => !policies.has(id)))];
  if (missing.length > 0) throw policiesNotFound(missing.sort());
  for (const w of writes) {
    const policy = policies.get(w.policyId)!;
    if (!covers(policy, w.claimDate)) throw outOfCoverage(policy, w.claimDate);
  }
}
