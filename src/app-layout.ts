/**
 * Where the files read at run time live: drizzle/ (the migrations), workflows/ (bundled when a
 * worker starts without a prebuilt bundle) and a build's prebuilt workflow bundle. This module
 * sits one level below the project root both in the sources (src/) and in the build (dist/,
 * where every chunk lies in dist/ itself), so the root is its directory's parent either way.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** The project root: package.json, drizzle/, workflows/. */
export const appRoot = path.dirname(here);

/** What `make build` (scripts/build.ts) writes beside its code; the sources have none. */
export const BUILD_INFO_FILE = "build-info.json";
/** The workflow bundle `make build` writes into dist/. */
export const WORKFLOW_BUNDLE_FILE = "workflows.js";

/**
 * The workflow bundle prebuilt by `make build` when this code runs from that build (dist/),
 * so that a worker started from it skips bundling; undefined from the sources.
 */
export function builtWorkflowBundle(): string | undefined {
  if (!fs.existsSync(path.join(here, BUILD_INFO_FILE))) return undefined;
  const file = path.join(here, WORKFLOW_BUNDLE_FILE);
  return fs.existsSync(file) ? file : undefined;
}
