/**
 * The workflow bundle every worker of the run loads (`worker --workflow-bundle`), built once by
 * `claims worker --write-bundle` and cached under .cache/chaos/bundles/ by a hash of every
 * source file it can contain (workflows/, src/) and of the lock file: bundling costs many
 * seconds of CPU, and the short run inside `make test` has little time to spare.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { repoRoot } from "../lib/temporal-dev-server.ts";
import { claims } from "./cli.ts";

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  }).sort();
}

export function sourceHash(): string {
  const hash = crypto.createHash("sha256");
  const files = [
    ...sourceFiles(path.join(repoRoot, "workflows")),
    ...sourceFiles(path.join(repoRoot, "src")),
    path.join(repoRoot, "package-lock.json"),
  ];
  for (const file of files) {
    hash.update(path.relative(repoRoot, file)).update("\0").update(fs.readFileSync(file));
  }
  return hash.digest("hex").slice(0, 16);
}

/** The bundle's path, built now when no bundle of the current sources exists. */
export async function workflowBundle(env: Record<string, string>): Promise<{
  file: string;
  cached: boolean;
}> {
  const dir = path.join(repoRoot, ".cache", "chaos", "bundles");
  const file = path.join(dir, `workflows-${sourceHash()}.js`);
  if (fs.existsSync(file)) return { file, cached: true };
  fs.mkdirSync(dir, { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  const result = await claims(["worker", "--write-bundle", temp], env);
  if (result.code !== 0) {
    fs.rmSync(temp, { force: true });
    throw new Error(`bundling the workflows failed (exit ${result.code}): ${result.stderr}`);
  }
  fs.renameSync(temp, file);
  // Bundles of older sources: gone after a day (a run lasts minutes; a concurrent run on
  // other sources keeps its own bundle).
  for (const name of fs.readdirSync(dir)) {
    const other = path.join(dir, name);
    if (other !== file && Date.now() - fs.statSync(other).mtimeMs > 86_400_000) {
      fs.rmSync(other, { force: true });
    }
  }
  return { file, cached: false };
}
