/**
 * The inputs hash of a policy-day (stored in the ledger): sha256 over the canonical JSON of
 * the policy and of that day's events sorted by id. Equal hashes mean the computation saw the
 * same inputs, whatever order storage returned them in. node:crypto runs on Node and Deno.
 *
 * A daily run hashes every policy-day, most of them a policy and no event: the policy's text is
 * written from an object literal with its keys in canonical order (canonicalPolicy), byte for
 * byte what canonicalJson gives for it, and only a value of another shape goes through the
 * generic walk.
 */
import crypto from "node:crypto";
import { compareIds } from "../domain/calculate.ts";
import type { Policy, RiskEvent } from "../domain/schemas.ts";
import { canonicalJson } from "./canonical-json.ts";

export function inputsHash(policy: Policy, dayEvents: readonly RiskEvent[]): string {
  const ordered = canonicalPolicy(policy);
  if (dayEvents.length === 0 && ordered) {
    // Most policy-days: the whole text in one native pass, as one flat string.
    return sha256Hex(JSON.stringify({ events: NO_EVENTS, policy: ordered }));
  }
  const events = dayEvents.length < 2
    ? dayEvents
    : [...dayEvents].sort((a, b) => compareIds(a.id, b.id));
  // canonicalJson({ policy, events }): its two keys in code-unit order.
  const text = `{"events":${events.length === 0 ? "[]" : canonicalJson(events)},"policy":${
    ordered ? JSON.stringify(ordered) : canonicalJson(policy)
  }}`;
  return sha256Hex(text);
}

const NO_EVENTS: readonly RiskEvent[] = [];

/**
 * One-shot hashing (`crypto.hash`, Node 20.12+ and Deno) where the runtime has it: no Hash
 * object and no intermediate buffers per policy-day; the streaming form elsewhere.
 */
const sha256Hex: (text: string) => string = typeof crypto.hash === "function"
  ? (text) => crypto.hash("sha256", text, "hex")
  : (text) => crypto.createHash("sha256").update(text, "utf8").digest("hex");

const POLICY_KEYS = 10;
const TIER_KEYS = 3;

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * The policy as an object literal with its keys in canonical order, which JSON.stringify writes
 * in one native pass as exactly canonicalJson's text (a template of per-field stringify calls
 * built a dozen strings); null for a value of another shape (it goes through canonicalJson).
 */
function canonicalPolicy(p: Policy): object | null {
  const tiers = p.tierPayoutsBps;
  if (
    Object.keys(p).length !== POLICY_KEYS || typeof tiers !== "object" || tiers === null ||
    Object.keys(tiers).length !== TIER_KEYS || !isFiniteNumber(tiers.tier1) ||
    !isFiniteNumber(tiers.tier2) || !isFiniteNumber(tiers.tier3) ||
    typeof p.coverageEnd !== "string" || typeof p.coverageStart !== "string" ||
    typeof p.currency !== "string" || typeof p.id !== "string" ||
    typeof p.payoutMode !== "string" || !isFiniteNumber(p.periodCapBps) ||
    typeof p.region !== "string" || !isFiniteNumber(p.sumInsured) ||
    typeof p.timezone !== "string"
  ) {
    return null;
  }
  return {
    coverageEnd: p.coverageEnd,
    coverageStart: p.coverageStart,
    currency: p.currency,
    id: p.id,
    payoutMode: p.payoutMode,
    periodCapBps: p.periodCapBps,
    region: p.region,
    sumInsured: p.sumInsured,
    tierPayoutsBps: { tier1: tiers.tier1, tier2: tiers.tier2, tier3: tiers.tier3 },
    timezone: p.timezone,
  };
}
