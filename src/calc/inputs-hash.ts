/**
 * The inputs hash of a policy-day (stored in the ledger): sha256 over the canonical JSON of
 * the policy and of that day's events sorted by id. Equal hashes mean the computation saw the
 * same inputs, whatever order storage returned them in. node:crypto runs on Node and Deno.
 */
import { createHash } from "node:crypto";
import { compareIds } from "../domain/calculate.ts";
import type { Policy, RiskEvent } from "../domain/schemas.ts";
import { canonicalJson } from "./canonical-json.ts";

export function inputsHash(policy: Policy, dayEvents: readonly RiskEvent[]): string {
  const events = [...dayEvents].sort((a, b) => compareIds(a.id, b.id));
  return createHash("sha256").update(canonicalJson({ policy, events }), "utf8").digest("hex");
}
