/**
 * What every bad input must produce (issue 9): the expected non-zero exit code, a message
 * naming what is wrong, no password anywhere, no stack trace without --verbose, nothing on
 * stdout. Returns the broken promises as sentences, so a failure says all that went wrong.
 */
import type { BadInputCase } from "../generate.ts";
import type { CliRun } from "./run-cli.ts";

/** A stack frame (`    at fn (file:1:2)`), Node's internals, or an uncaught-error banner. */
const STACK = /^\s+at\s.*(:\d+:\d+\)?|\(native\)|<anonymous>)\s*$|node:internal|\bUncaught\b/m;

export function outcomeProblems(c: BadInputCase, run: CliRun, password: string): string[] {
  const problems: string[] = [];
  const verbose = c.argv.includes("--verbose");
  if (run.code !== c.exitCode) problems.push(`exit code ${run.code}, expected ${c.exitCode}`);
  if (!c.message.test(run.stderr)) problems.push(`stderr does not match ${c.message}`);
  for (const [stream, text] of [["stdout", run.stdout], ["stderr", run.stderr]] as const) {
    if (text.includes(password)) problems.push(`${stream} shows the password`);
  }
  if (!verbose && STACK.test(run.stderr)) problems.push("stderr shows a stack trace");
  if (run.stdout !== "") problems.push("stdout is not empty");
  return problems;
}

export function describeRun(c: BadInputCase, run: CliRun): string {
  const clip = (s: string) => (s.length > 1500 ? s.slice(0, 1500) + "…" : s);
  return `case: ${c.name}\nargv: ${JSON.stringify(c.argv)}\nenv: ${JSON.stringify(c.env)}\n` +
    `exit: ${run.code}\nstdout: ${clip(run.stdout)}\nstderr: ${clip(run.stderr)}`;
}
