/**
 * The pure core of the fenced write path: given what is stored for the locked policies and a
 * list of policy-day writes, decides — without I/O — which claims to upsert and delete, which
 * audit and ledger rows to write, and each write's outcome.
 *
 * Writes apply in input order against an in-memory copy of the stored state, so several writes
 * for one policy (or one policy-day) in one call behave exactly as the same writes made one
 * after the other. Only the net difference to what is stored goes to the database; the audit
 * trail keeps every step.
 */
import { type Candidate, reallocate } from "../domain/calculate.ts";
import type { PolicyDayOutcome, PolicyDayWrite, RefusalReason } from "./policy-day-types.ts";
import type {
  AuditAction,
  AuditEntry,
  AuditReason,
  ClaimContent,
  ClaimDelete,
  ClaimUpsert,
  DayTotals,
  LedgerChange,
  LedgerContent,
  LedgerTotalsUpdate,
  RefusalEntry,
  StoredState,
  WritePlan,
} from "./policy-day-plan-types.ts";
import { covers } from "./policy-day-inputs.ts";
import { claimKeyOf, dayKey } from "./keys.ts";

export function sameClaimContent(a: ClaimContent, b: ClaimContent): boolean {
  return a.tier === b.tier && a.uncappedBps === b.uncappedBps && a.payoutBps === b.payoutBps &&
    a.payoutAmount === b.payoutAmount && a.capped === b.capped &&
    a.firstObservedAtMs === b.firstObservedAtMs && a.eventIds.length === b.eventIds.length &&
    a.eventIds.every((id, i) => id === b.eventIds[i]);
}

function totalsOf(claims: Iterable<ClaimContent>, claimDate: string): DayTotals {
  const t: DayTotals = { claimsCount: 0, cappedCount: 0, payoutBpsTotal: 0, payoutAmountTotal: 0n };
  for (const c of claims) {
    if (c.claimDate !== claimDate) continue;
    t.claimsCount++;
    if (c.capped) t.cappedCount++;
    t.payoutBpsTotal += c.payoutBps;
    t.payoutAmountTotal += c.payoutAmount;
  }
  return t;
}

/** The outcome's changes of a write that changed no claim (shared, never written to). */
const NO_CHANGES: PolicyDayOutcome["changes"] = Object.freeze({
  inserted: 0,
  updated: 0,
  deleted: 0,
});

const NO_DAYS: readonly string[] = [];

/** Shared by every write that can change no claim; never written to (see the plan loop). */
const NO_CLAIMS: ReadonlyMap<string, ClaimContent> = new Map();

const withinPolicy = (c: { claimDate: string; claimKey: string }) => `${c.claimDate} ${c.claimKey}`;

/**
 * Plans `writes` (already validated, targets checked) against `stored`. The returned database
 * operations, applied in one transaction, turn the stored state into the state after every
 * write; the outcomes come in the order of `writes`.
 */
export function planPolicyDayWrites(
  stored: StoredState,
  writes: readonly PolicyDayWrite[],
  calculatorVersion: string,
  /** Writes refused before planning (by index): their policy or events changed since read. */
  refusedBefore: ReadonlyMap<number, RefusalReason> = new Map(),
): WritePlan {
  const claimsNow = new Map<string, Map<string, ClaimContent>>();
  const ledgerNow = new Map(stored.ledger);
  const ledgerChanges = new Map<string, LedgerChange>();
  const ledgerTotals = new Map<string, LedgerTotalsUpdate>();
  const writtenDays = new Set(writes.map((w) => dayKey(w.policyId, w.claimDate)));
  /** Claims changed in this call: full key -> the fence token of the write that last did. */
  const touched = new Map<
    string,
    { policyId: string; claimDate: string; claimKey: string; token: bigint }
  >();
  const audit: AuditEntry[] = [];
  const refusals: RefusalEntry[] = [];
  const outcomes: PolicyDayOutcome[] = [];

  const claimsOf = (policyId: string): Map<string, ClaimContent> => {
    let map = claimsNow.get(policyId);
    if (!map) {
      map = new Map((stored.claims.get(policyId) ?? []).map((c) => [withinPolicy(c), c]));
      claimsNow.set(policyId, map);
    }
    return map;
  };

  const noteLedger = (
    key: string,
    policyId: string,
    claimDate: string,
    content: LedgerContent,
    recomputed: boolean,
    claimsChanged: boolean,
  ) => {
    ledgerNow.set(key, content);
    const change = ledgerChanges.get(key);
    if (change) {
      change.content = content;
      change.recomputed ||= recomputed;
      change.claimsChanged ||= claimsChanged;
    } else {
      ledgerChanges.set(key, {
        policyId,
        claimDate,
        content,
        existed: stored.ledger.has(key),
        recomputed,
        claimsChanged,
      });
    }
  };

  const refuse = (
    write: PolicyDayWrite,
    reason: RefusalReason,
    previous: LedgerContent | undefined,
    current: ReadonlyMap<string, ClaimContent>,
    currency: string,
  ) => {
    const t = totalsOf(current.values(), write.claimDate);
    outcomes.push({
      policyId: write.policyId,
      claimDate: write.claimDate,
      status: "refused",
      claims: t.claimsCount,
      cappedClaims: t.cappedCount,
      payoutAmount: t.payoutAmountTotal,
      currency,
      changes: { inserted: 0, updated: 0, deleted: 0 },
      ledgerFenceToken: previous?.fenceToken ?? 0n,
      refusal: reason,
    });
    refusals.push({
      policyId: write.policyId,
      claimDate: write.claimDate,
      reason,
      fenceToken: write.fenceToken,
      ledgerFenceToken: previous?.fenceToken ?? null,
      inputsHash: write.inputsHash,
      ledgerInputsHash: previous?.inputsHash ?? null,
      writtenBy: write.writtenBy,
    });
  };

  for (let index = 0; index < writes.length; index++) {
    const write = writes[index]!;
    const early = refusedBefore.get(index);
    // A write refused for a changed policy brought the policy it read; the locked rows hold
    // only the others.
    const policy = (stored.policies.get(write.policyId) ?? write.basis?.policy)!;
    // A policy with no claim stored or planned and a write with no candidates (most of a daily
    // run) can change no claim: it shares one empty map instead of building its own.
    const current = write.candidates.length > 0 || claimsNow.has(write.policyId) ||
        stored.claims.has(write.policyId)
      ? claimsOf(write.policyId)
      : NO_CLAIMS;
    const writtenKey = dayKey(write.policyId, write.claimDate);
    const previous = ledgerNow.get(writtenKey);

    if (early) {
      refuse(write, early, previous, current, policy.currency);
      continue;
    }
    if (previous && write.fenceToken < previous.fenceToken) {
      // Stale is verified, never assumed: only a ledger holding a computation of the same
      // inputs by the same rules makes this write redundant. Anything else (a token from a
      // clock that ran ahead, a lock service that lost its fence counter) is refused, and
      // the caller computes the day again under a token raised above the ledger's.
      if (
        previous.inputsHash !== write.inputsHash ||
        previous.calculatorVersion !== calculatorVersion
      ) {
        refuse(write, "stale_token", previous, current, policy.currency);
        continue;
      }
      const t = totalsOf(current.values(), write.claimDate);
      outcomes.push({
        policyId: write.policyId,
        claimDate: write.claimDate,
        status: "stale",
        claims: t.claimsCount,
        cappedClaims: t.cappedCount,
        payoutAmount: t.payoutAmountTotal,
        currency: policy.currency,
        changes: { inserted: 0, updated: 0, deleted: 0 },
        ledgerFenceToken: previous.fenceToken,
      });
      continue;
    }

    let changes: PolicyDayOutcome["changes"] = NO_CHANGES;
    /** Days whose claims this write changed (made on the first change). */
    let changedDays: Set<string> | null = null;
    let dayHasClaims = false;
    for (const c of current.values()) {
      if (c.claimDate === write.claimDate) {
        dayHasClaims = true;
        break;
      }
    }
    // Nothing stored on the day and nothing to store: no claim can change (the common case).
    if (write.candidates.length > 0 || dayHasClaims) {
      const claims = claimsOf(write.policyId); // `current` itself here (never NO_CLAIMS)
      const record = (
        action: AuditAction,
        reason: AuditReason,
        old: ClaimContent | null,
        next: ClaimContent | null,
      ) => {
        const c = (next ?? old)!;
        audit.push({
          policyId: write.policyId,
          claimDate: c.claimDate,
          claimKey: c.claimKey,
          action,
          reason,
          computedDate: write.claimDate,
          old,
          new: next,
          fenceToken: write.fenceToken,
          calculatorVersion,
          writtenBy: write.writtenBy,
        });
        touched.set(claimKeyOf(write.policyId, c.claimDate, c.claimKey), {
          policyId: write.policyId,
          claimDate: c.claimDate,
          claimKey: c.claimKey,
          token: write.fenceToken,
        });
        (changedDays ??= new Set()).add(c.claimDate);
        if (changes === NO_CHANGES) changes = { inserted: 0, updated: 0, deleted: 0 };
        if (action === "insert") changes.inserted++;
        else if (action === "update") changes.updated++;
        else changes.deleted++;
      };

      const inCoverage: Candidate[] = [...claims.values()].filter((c) =>
        covers(policy, c.claimDate)
      );
      const next = reallocate(policy, inCoverage, write.claimDate, write.candidates);
      const nextKeys = new Set<string>();
      for (const a of next) {
        const key = withinPolicy(a);
        nextKeys.add(key);
        const content: ClaimContent = {
          claimDate: a.claimDate,
          claimKey: a.claimKey,
          tier: a.tier,
          eventIds: a.eventIds,
          uncappedBps: a.uncappedBps,
          payoutBps: a.payoutBps,
          payoutAmount: BigInt(a.payoutAmount),
          capped: a.capped,
          firstObservedAtMs: a.firstObservedAtMs,
        };
        const old = claims.get(key) ?? null;
        if (old && sameClaimContent(old, content)) continue;
        const reason = a.claimDate !== write.claimDate
          ? "reallocated"
          : write.cause === "policy_amended"
          ? "policy_amended"
          : "computed";
        record(old ? "update" : "insert", reason, old, content);
        claims.set(key, content);
      }
      for (const [key, old] of [...claims]) {
        if (old.claimDate !== write.claimDate || nextKeys.has(key)) continue;
        record(
          "delete",
          write.cause === "policy_amended" ? "policy_amended" : "removed",
          old,
          null,
        );
        claims.delete(key);
      }
    }

    // Assigned inside `record` (a closure), which TypeScript's narrowing does not follow.
    const daysChanged = changedDays as Set<string> | null;
    const t = totalsOf(current.values(), write.claimDate);
    noteLedger(
      writtenKey,
      write.policyId,
      write.claimDate,
      {
        fenceToken: write.fenceToken,
        inputsHash: write.inputsHash,
        calculatorVersion,
        eventsCount: write.eventsCount,
        claimsCount: t.claimsCount,
        cappedCount: t.cappedCount,
        payoutBpsTotal: t.payoutBpsTotal,
        payoutAmountTotal: t.payoutAmountTotal,
        computations: (previous?.computations ?? 0) + 1,
        writtenBy: write.writtenBy,
      },
      true,
      daysChanged?.has(write.claimDate) ?? false,
    );
    // Re-allocated days keep their provenance; their totals follow their claims.
    for (const day of daysChanged ?? NO_DAYS) {
      if (day === write.claimDate) continue;
      const key = dayKey(write.policyId, day);
      const totals = totalsOf(current.values(), day);
      const row = ledgerNow.get(key);
      if (row) {
        noteLedger(key, write.policyId, day, { ...row, ...totals }, false, true);
      } else if (!writtenDays.has(key)) {
        ledgerTotals.set(key, { policyId: write.policyId, claimDate: day, ...totals });
      }
      // (A written day with no row yet gets its totals when its own write comes.)
    }

    outcomes.push({
      policyId: write.policyId,
      claimDate: write.claimDate,
      status: !previous || daysChanged ? "computed" : "unchanged",
      claims: t.claimsCount,
      cappedClaims: t.cappedCount,
      payoutAmount: t.payoutAmountTotal,
      currency: policy.currency,
      changes,
      ledgerFenceToken: write.fenceToken,
    });
  }

  return {
    outcomes,
    audit,
    refusals,
    ledger: [...ledgerChanges.values()],
    ledgerTotals: [...ledgerTotals.values()],
    ...netClaimChanges(),
  };

  function netClaimChanges(): Pick<WritePlan, "claimUpserts" | "claimDeletes"> {
    const claimUpserts: ClaimUpsert[] = [];
    const claimDeletes: ClaimDelete[] = [];
    const baseline = new Map<string, ClaimContent>();
    const loaded = new Set<string>();
    for (const { policyId } of touched.values()) {
      if (loaded.has(policyId)) continue;
      loaded.add(policyId);
      for (const c of stored.claims.get(policyId) ?? []) {
        baseline.set(claimKeyOf(policyId, c.claimDate, c.claimKey), c);
      }
    }
    for (const [key, t] of touched) {
      const final = claimsNow.get(t.policyId)?.get(`${t.claimDate} ${t.claimKey}`);
      const before = baseline.get(key);
      if (final) {
        if (before && sameClaimContent(before, final)) continue;
        claimUpserts.push({
          ...final,
          policyId: t.policyId,
          fenceToken: t.token,
          calculatorVersion,
        });
      } else if (before) {
        claimDeletes.push({ policyId: t.policyId, claimDate: t.claimDate, claimKey: t.claimKey });
      }
    }
    return { claimUpserts, claimDeletes };
  }
}
