/**
 * Activity inputs cross a process boundary (any client can start a workflow with anything),
 * so each is validated with zod; a bad one fails the activity for good with a message that
 * names the field, because retrying the same bad input cannot succeed.
 */
import { ApplicationFailure } from "@temporalio/activity";
import * as z from "zod";
import { isValidDate } from "../src/domain/calendar.ts";
import { ID_PATTERN, problemsOf } from "../src/domain/schemas.ts";
import { FailureTypes } from "../src/temporal/shared.ts";

const MAX_BATCH = 10_000;
const MAX_PAGE = 100_000;

const policyId = z.string().regex(ID_PATTERN, {
  error: (i) => `must match ${ID_PATTERN.source}, got ${JSON.stringify(i.input)}`,
});
const claimDate = z.string().refine(isValidDate, {
  error: (i) => `must be an existing YYYY-MM-DD date, got ${JSON.stringify(i.input)}`,
});

/** Why the days are computed again (absent: a plain run); recorded as the audit reason. */
const cause = z.literal("policy_amended", {
  error: (i) => `must be "policy_amended" or absent, got ${JSON.stringify(i.input)}`,
}).optional();

export const PolicyDayInputSchema = z.object({ policyId, claimDate, cause });

export const BatchInputSchema = z.object({
  claimDate,
  cause,
  policyIds: z.array(policyId).max(MAX_BATCH, {
    error: `must hold at most ${MAX_BATCH} ids (split the batch)`,
  }),
});

export const PageInputSchema = z.object({
  claimDate,
  after: policyId.nullable(),
  limit: z.number().int().min(1).max(MAX_PAGE, { error: `must be from 1 to ${MAX_PAGE}` }),
});

/** The parsed input, or a non-retryable InvalidInput failure naming each bad field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, activity: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = problemsOf(result.error, "input")
    .map((p) => `${p.path}: ${p.message}`)
    .join("; ");
  throw ApplicationFailure.create({
    message: `${activity}: invalid ${problems}`,
    type: FailureTypes.INVALID_INPUT,
    nonRetryable: true,
    cause: result.error,
  });
}
