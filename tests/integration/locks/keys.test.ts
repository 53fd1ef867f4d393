/**
 * The pure parts of the lock module: key names and their validation, holder identities, the
 * advisory-lock id derivation, the Redis lock value. (No server: table-driven examples and
 * fast-check properties.)
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { test } from "../../support/test.ts";
import { ID_PATTERN } from "../../../src/domain/schemas.ts";
import { ClaimsError, ErrorCodes } from "../../../src/errors.ts";
import { assertHolder, holderId } from "../../../src/locks/holder.ts";
import {
  assertLockKey,
  claimCalcLockKey,
  leaderLockKey,
  parseClaimCalcLockKey,
} from "../../../src/locks/keys.ts";
import { lockIdOf, lockIdParts } from "../../../src/locks/postgres/lock-id.ts";
import { fenceKeyOf, fenceTtlFor, parseLockValue } from "../../../src/locks/redis/scripts.ts";
import { refreshIntervalFor } from "../../../src/locks/keeper.ts";
import { formatDuration } from "../../../src/cli/actions/locks.ts";

const invalidInput = (pattern: RegExp) => (error: unknown) =>
  error instanceof ClaimsError && error.code === ErrorCodes.INPUT_INVALID &&
  pattern.test(error.message);

const ids = fc.stringMatching(ID_PATTERN);
const dates = fc.date({
  min: new Date("1900-01-01T00:00:00Z"),
  max: new Date("2200-12-31T00:00:00Z"),
  noInvalidDate: true,
}).map((d) => d.toISOString().slice(0, 10));

test("claimCalcLockKey is lock:claim_calc:<policyId>:<date> and parses back", () => {
  assert.equal(claimCalcLockKey("P-1", "2025-01-31"), "lock:claim_calc:P-1:2025-01-31");
  fc.assert(
    fc.property(ids, dates, (policyId, date) => {
      const key = claimCalcLockKey(policyId, date);
      assert.equal(key, `lock:claim_calc:${policyId}:${date}`);
      assertLockKey(key);
      assert.deepEqual(parseClaimCalcLockKey(key), { policyId, date });
    }),
  );
  assert.equal(parseClaimCalcLockKey("lock:leader:x"), null);
  assert.equal(parseClaimCalcLockKey("lock:claim_calc:P1:2025-01-01:extra"), null);
});

test("claimCalcLockKey rejects bad parts, naming them", () => {
  const bad: [string, string, RegExp][] = [
    ["P:1", "2025-01-01", /policyId .*"P:1"/],
    ["", "2025-01-01", /policyId/],
    ["-P", "2025-01-01", /policyId/],
    ["P".repeat(65), "2025-01-01", /policyId/],
    ["P1", "2025-02-30", /date .*"2025-02-30"/],
    ["P1", "2025-1-01", /date/],
    ["P1", "2025-01-01T00:00:00Z", /date/],
  ];
  for (const [policyId, date, pattern] of bad) {
    assert.throws(() => claimCalcLockKey(policyId, date), invalidInput(pattern), policyId + date);
  }
  assert.throws(() => claimCalcLockKey(42 as unknown as string, "2025-01-01"), invalidInput(/42/));
  assert.throws(() => leaderLockKey("a b"), invalidInput(/leadership name/));
  assert.equal(leaderLockKey("daily"), "lock:leader:daily");
});

test("assertLockKey accepts lock:* printable keys only", () => {
  assertLockKey("lock:anything-printable_here.1");
  for (
    const key of ["claim_calc:P1", "lock:", "lock:a b", "lock:tab\there", `lock:${"x".repeat(200)}`]
  ) {
    assert.throws(() => assertLockKey(key), invalidInput(/lock key/), key);
  }
});

test("holderId names host, pid, workflow and attempt, plus a random part", () => {
  const holder = holderId({ workflowId: "claim-calc:P1:2025-01-02", attempt: 3 });
  assert.match(holder, /^[^/\s]+\/\d+\/claim-calc:P1:2025-01-02\/attempt-3\/[0-9a-f]{8}$/);
  assert.match(holderId(), /^[^/\s]+\/\d+\/[0-9a-f]{8}$/);
  assert.notEqual(holderId(), holderId());
  assert.match(holderId({ workflowId: "a b/c" }), /\/a_b_c\//);
  assert.throws(() => holderId({ attempt: -1 }), invalidInput(/attempt/));
  assertHolder(holder);
  for (const bad of ["", "x".repeat(257), "line\nbreak"]) {
    assert.throws(() => assertHolder(bad), invalidInput(/holder/));
  }
});

test("lockIdOf: first 8 bytes of SHA-256 as a signed 64-bit id, split like pg_locks", () => {
  // Fixed forever: every process of a fleet must derive the same id (see lock-id.ts).
  assert.equal(lockIdOf("lock:claim_calc:P1:2025-01-01"), -25153024411706538n);
  assert.equal(lockIdOf("lock:leader:daily-scheduler"), 2711733329660969874n);
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 200 }), (key) => {
      const id = lockIdOf(key);
      assert.equal(id, lockIdOf(key));
      assert.ok(id >= -(2n ** 63n) && id < 2n ** 63n);
      const { classid, objid } = lockIdParts(id);
      assert.ok(classid >= 0 && classid < 2 ** 32 && objid >= 0 && objid < 2 ** 32);
      assert.equal(BigInt.asIntN(64, (BigInt(classid) << 32n) | BigInt(objid)), id);
    }),
  );
});

test("Redis helpers: fence key, fence TTL, refresh period, lock value", () => {
  assert.equal(fenceKeyOf("lock:claim_calc:P1:2025-01-01"), "fence:claim_calc:P1:2025-01-01");
  assert.equal(fenceTtlFor(120_000), 86_400_000, "at least a day");
  assert.equal(fenceTtlFor(3 * 3_600_000), 30 * 3_600_000, "ten TTLs for long leases");
  assert.equal(refreshIntervalFor(120_000), 40_000);
  assert.equal(refreshIntervalFor(2), 1);
  assert.deepEqual(
    parseLockValue('{"holder":"h\\/1","token":"1795579533843789","acquiredAt":1795579533843}'),
    { holder: "h/1", token: "1795579533843789", acquiredAt: 1795579533843 },
  );
  assert.equal(parseLockValue("some other tool's value"), null);
  assert.equal(parseLockValue('{"holder":1}'), null);
});

test("claims locks formats ages and TTLs for people", () => {
  assert.equal(formatDuration(null), "-");
  assert.equal(formatDuration(75), "75ms");
  assert.equal(formatDuration(4_200), "4.2s");
  assert.equal(formatDuration(125_000), "2m05s");
  assert.equal(formatDuration(7_500_000), "2h05m");
  assert.equal(formatDuration(-5), "0ms");
});
