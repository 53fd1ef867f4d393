/**
 * Signals a child process by pid. Not `child.kill()`: Deno's node:child_process (2.9.5) then
 * reports the exit as that signal even when the child handled it and exited 0, so a cleanly
 * drained worker would look killed. Shared by the test harness and the chaos driver.
 */
import type { ChildProcess } from "node:child_process";
import process from "node:process";

export function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(child.pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error; // already gone
  }
}
