/**
 * Lock timers (refresh, expiry watch, answer deadlines) must not keep a process alive on their
 * own: the work under the lock does that. Node timers have unref(); Deno's are numbers.
 */
export function unrefTimer(timer: unknown): void {
  if (typeof timer === "object" && timer !== null && "unref" in timer) {
    (timer as { unref(): void }).unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?(id: number): void } }).Deno;
  if (typeof timer === "number") deno?.unrefTimer?.(timer);
}
