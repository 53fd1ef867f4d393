/**
 * For test files that terminate PostgreSQL backends on purpose: postgres.js can then throw an
 * uncaught TypeError from a deferred write (see src/store/driver-crash-guard.ts, which the
 * worker installs). node:test would pin that stray driver error on whichever test is running,
 * so these files absorb exactly that error for their duration, and fail in `after` on any other
 * uncaught exception captured meanwhile.
 */
import process from "node:process";
import { isPostgresDeferredWriteOnClosedSocket } from "../../src/store/driver-crash-guard.ts";
import { after, before } from "./test.ts";

type Capture = (fn: ((error: unknown) => void) | null) => void;

export function useDriverCrashGuard(): { absorbed(): number } {
  const capture = (process as unknown as { setUncaughtExceptionCaptureCallback?: Capture })
    .setUncaughtExceptionCaptureCallback;
  let absorbed = 0;
  const others: unknown[] = [];
  before(() => {
    capture?.call(process, (error) => {
      if (isPostgresDeferredWriteOnClosedSocket(error)) absorbed++;
      else others.push(error);
    });
  });
  after(() => {
    capture?.call(process, null);
    if (others.length > 0) {
      throw new Error(`uncaught exception(s) during the file: ${others.map(String).join("; ")}`, {
        cause: others[0],
      });
    }
  });
  return { absorbed: () => absorbed };
}
