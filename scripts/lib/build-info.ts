/**
 * What identifies a build in dist/: the SHA-256 of every file it is made from. `make build`
 * writes it into dist/build-info.json; the test harness compares it with the sources beside
 * it, so a dist/ older than src/ fails loudly instead of testing yesterday's code.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BUILD_INFO_FILE } from "../../src/app-layout.ts";

/** The files and directories a build is made from (the build script included). */
export const BUILD_INPUTS = [
  "src",
  "workflows",
  "activities",
  "scripts/build.ts",
  "scripts/lib/build-info.ts",
  "package.json",
  "package-lock.json",
  "tsconfig.json",
] as const;

export interface BuildInfo {
  /** sha256 (hex) of BUILD_INPUTS: paths and contents, in sorted order. */
  sourceHash: string;
  /** How many files went into sourceHash. */
  files: number;
  esbuild: string;
  node: string;
  builtAt: string;
}

function filesUnder(root: string, relative: string): string[] {
  const full = path.join(root, relative);
  if (!fs.existsSync(full)) return [];
  if (!fs.statSync(full).isDirectory()) return [relative];
  return fs.readdirSync(full).flatMap((name) => filesUnder(root, path.join(relative, name)));
}

/** The hash of the build inputs under `root`, and how many files it covers. */
export function sourceHash(root: string): { sourceHash: string; files: number } {
  const files = BUILD_INPUTS.flatMap((input) => filesUnder(root, input))
    .map((file) => file.split(path.sep).join("/"))
    .sort();
  const hash = crypto.createHash("sha256");
  for (const file of files) {
    const bytes = fs.readFileSync(path.join(root, file));
    hash.update(`${file}\0${bytes.length}\0`).update(bytes);
  }
  return { sourceHash: hash.digest("hex"), files: files.length };
}

export function readBuildInfo(dist: string): BuildInfo | undefined {
  const file = path.join(dist, BUILD_INFO_FILE);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, "utf8")) as BuildInfo;
}

/**
 * Throws unless `dist` holds a complete build of the sources under `root` as they are now,
 * with a message that names `make build` as the fix.
 */
export function checkBuild(root: string, dist = path.join(root, "dist")): BuildInfo {
  const shown = path.relative(root, dist) || dist;
  const info = readBuildInfo(dist);
  if (!info || !fs.existsSync(path.join(dist, "cli.js"))) {
    throw new Error(
      `${shown}/ holds no build (no cli.js or ${BUILD_INFO_FILE}): run \`make build\``,
    );
  }
  const now = sourceHash(root);
  if (info.sourceHash !== now.sourceHash) {
    throw new Error(
      `${shown}/ is stale: it was built from other sources (sha256 ${
        info.sourceHash.slice(0, 12)
      }…, ${info.builtAt}) than the ones here (sha256 ${
        now.sourceHash.slice(0, 12)
      }…): run \`make build\``,
    );
  }
  return info;
}
