/**
 * The lock module's public surface (SPEC §5). A map for the next engineer:
 *
 *   contract.ts       Lease, LeaseGroup, LockBackend, LockInfo: what every backend promises
 *   keys.ts           lock:claim_calc:<policyId>:<date>, lock:leader:<name>, key validation
 *   holder.ts         holder identities (host/pid/workflow/attempt/random)
 *   lease.ts          the lease state machine both backends share (held → released | lost)
 *   keeper.ts         automatic extension: one timer per backend and TTL, pipelined
 *   lease-group.ts    a batch's leases: one signal, extendAll/releaseAll in one round trip
 *   acquire.ts        acquire-with-timeout and withLock on top of any try-acquire
 *   factory.ts        createLockBackend(config) by LOCK_BACKEND
 *   redis/            the default backend: Lua scripts, client, backend, listing
 *   postgres/         advisory locks: session backend, lock ids, transaction locks,
 *                     leadership, listing from pg_locks + lock_fences
 */
export type {
  AcquireOptions,
  AcquireWithTimeoutOptions,
  Lease,
  LeaseGroup,
  LockBackend,
  LockInfo,
} from "./contract.ts";
export { DEFAULT_LOCK_TTL_MS } from "./contract.ts";
export { LockLostError, LockNotAcquiredError } from "./errors.ts";
export {
  assertLockKey,
  claimCalcLockKey,
  leaderLockKey,
  LOCK_KEY_PREFIX,
  parseClaimCalcLockKey,
} from "./keys.ts";
export { holderId, type HolderParts } from "./holder.ts";
export { createLockBackend, type LockBackendConfig, type LockBackendDeps } from "./factory.ts";
export { connectLockRedis } from "./redis/client.ts";
export {
  createRedisLockBackend,
  RedisLockBackend,
  type RedisLockBackendOptions,
} from "./redis/backend.ts";
export { listRedisLocks } from "./redis/list.ts";
export {
  createPostgresLockBackend,
  PostgresLockBackend,
  type PostgresLockBackendOptions,
} from "./postgres/backend.ts";
export { listPostgresLocks } from "./postgres/list.ts";
export { lockIdOf } from "./postgres/lock-id.ts";
export { tryXactLock, type XactLock } from "./postgres/xact.ts";
export {
  acquireLeadership,
  type LeadershipGuard,
  type LeadershipOptions,
} from "./postgres/leadership.ts";
