/**
 * The node:test API the suites use, with one addition: failures are counted so that a
 * file's fixtures (its database) are kept for inspection when a test failed.
 * Runs unchanged under Node (`node --test`) and Deno (`deno test`).
 */
import nodeTest, { after, before, describe } from "node:test";

export { after, before, describe };

let failures = 0;

export function anyTestFailed(): boolean {
  return failures > 0;
}

type TestFn = () => unknown | Promise<unknown>;

export interface TestOptions {
  timeout?: number;
}

export function test(name: string, fn: TestFn): void;
export function test(name: string, options: TestOptions, fn: TestFn): void;
export function test(name: string, a: TestOptions | TestFn, b?: TestFn): void {
  const fn = typeof a === "function" ? a : b!;
  const options = typeof a === "function" ? {} : a;
  nodeTest(name, { timeout: options.timeout ?? 120_000 }, async () => {
    try {
      await fn();
    } catch (error) {
      failures++;
      throw error;
    }
  });
}
