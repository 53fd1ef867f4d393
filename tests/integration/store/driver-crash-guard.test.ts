/**
 * The worker's guard against postgres.js's deferred write on a closed socket recognises that
 * one error, produced by the driver's real code path, and nothing else.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "../../support/test.ts";
import { isPostgresDeferredWriteOnClosedSocket } from "../../../src/store/driver-crash-guard.ts";
import { useDriverCrashGuard } from "../../support/driver-crash-guard.ts";

const guard = useDriverCrashGuard();

/** Runs the driver's own `nextWrite` shape: a function of that name in connection.js. */
function errorFromDriverFile(): unknown {
  const require = createRequire(import.meta.url);
  // The package's entry lives beside connection.js (cjs/src/index.js).
  const file = path.join(path.dirname(require.resolve("postgres")), "connection.js");
  // Compile a function named nextWrite whose stack frame points at the driver's file, the
  // way V8 reports the real one: `at nextWrite (…/postgres/cjs/src/connection.js:…)`.
  const socket: { write(): void } | null = null;
  const nextWrite = new Function(
    "socket",
    `return function nextWrite() { return socket.write() }\n//# sourceURL=${file}`,
  )(socket) as () => void;
  try {
    nextWrite();
  } catch (error) {
    return error;
  }
  throw new Error("expected a TypeError");
}

test("recognises the driver's deferred write on a null socket", () => {
  const error = errorFromDriverFile();
  assert.ok(error instanceof TypeError);
  assert.equal((error as Error).message, "Cannot read properties of null (reading 'write')");
  assert.equal(isPostgresDeferredWriteOnClosedSocket(error), true);
});

test("leaves every other error alone", () => {
  const other = new TypeError("Cannot read properties of null (reading 'write')");
  other.stack = "TypeError: …\n    at nextWrite (/app/src/our-code.ts:1:1)";
  assert.equal(isPostgresDeferredWriteOnClosedSocket(other), false);
  assert.equal(isPostgresDeferredWriteOnClosedSocket(new Error("boom")), false);
  const elsewhere = new TypeError("Cannot read properties of null (reading 'end')");
  elsewhere.stack = "TypeError\n    at nextWrite (/x/node_modules/postgres/src/connection.js:1:1)";
  assert.equal(isPostgresDeferredWriteOnClosedSocket(elsewhere), false);
  assert.equal(isPostgresDeferredWriteOnClosedSocket("a string"), false);
});

test("the test guard absorbs the driver's error thrown from a timer, as it happens for real", async () => {
  const before = guard.absorbed();
  setImmediate(() => {
    throw errorFromDriverFile();
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(guard.absorbed(), before + 1);
});
