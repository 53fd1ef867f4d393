/**
 * `make build` (= `npm run build`): writes dist/, the CLI as JavaScript that Node runs without
 * tsx, and the workflow bundle its workers load instead of bundling at every start:
 *   dist/cli.js            the `claims` entry point (package.json "bin"), with a node shebang
 *   dist/*-HASH.js         its chunks: one per command's action, loaded only when it runs
 *   dist/workflows.js      workflows/ bundled by the Temporal SDK (`claims worker` uses it)
 *   dist/build-info.json   the sha256 of the sources it was built from (scripts/lib/build-info.ts)
 * Dependencies stay in node_modules (the Temporal SDK loads its native bridge and its bundler
 * from there), except the pure-JavaScript ones in INLINE, whose hundreds of small files cost
 * more to resolve at start-up than the bundled code costs to parse. Nothing is rebuilt when
 * dist/ already matches the sources (--force rebuilds); a build is staged next to dist/ and
 * swapped in whole, so a failed build leaves the previous one as it was.
 * Usage: node --import tsx scripts/build.ts [--outdir DIR] [--force]
 */
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as esbuild from "esbuild";
import { BUILD_INFO_FILE, WORKFLOW_BUNDLE_FILE } from "../src/app-layout.ts";
import { silentLogger } from "../src/log.ts";
import { writeWorkflowBundle } from "../src/temporal/worker.ts";
import { type BuildInfo, readBuildInfo, sourceHash } from "./lib/build-info.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Bundled into dist/ rather than loaded from node_modules (see the header). */
const INLINE = new Set(["commander", "zod"]);

/** The package a bare import specifier names: `@scope/name` or `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

const externalPackages: esbuild.Plugin = {
  name: "external-packages",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (path.isAbsolute(args.path)) return undefined;
      if (args.path.startsWith("node:")) return { external: true };
      return INLINE.has(packageName(args.path)) ? undefined : { external: true };
    });
  },
};

const { values: flags } = parseArgs({
  options: { outdir: { type: "string" }, force: { type: "boolean", default: false } },
});
const outdir = path.resolve(flags.outdir ?? path.join(repoRoot, "dist"));
const shown = path.relative(process.cwd(), outdir) || ".";
const started = performance.now();
const inputs = sourceHash(repoRoot);

const previous = readBuildInfo(outdir);
if (
  !flags.force && previous?.sourceHash === inputs.sourceHash &&
  fs.existsSync(path.join(outdir, "cli.js")) &&
  fs.existsSync(path.join(outdir, WORKFLOW_BUNDLE_FILE))
) {
  console.log(
    `build: ${shown}/ is up to date (sources sha256 ${inputs.sourceHash.slice(0, 12)}…)`,
  );
  process.exit(0);
}

const staging = `${outdir}.tmp-${process.pid}`;
fs.rmSync(staging, { recursive: true, force: true });
try {
  const result = await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: { cli: "src/cli/main.ts" },
    outdir: staging,
    bundle: true,
    // ESM with code splitting: every `await import()` of a command's action stays a separate
    // file, loaded only when that command runs (`claims --help` loads none of them).
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    plugins: [externalPackages],
    // commander is CommonJS: its require() of Node built-ins needs a require in ESM output.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module";\n' +
        "const require = __createRequire(import.meta.url);",
    },
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
  });
  // src/cli/main.ts starts with a tsx shebang for the sources; the build runs on plain node.
  const cli = path.join(staging, "cli.js");
  const code = fs.readFileSync(cli, "utf8").replace(/^#!.*\n/, "");
  fs.writeFileSync(cli, "#!/usr/bin/env node\n" + code);
  fs.chmodSync(cli, 0o755);

  await writeWorkflowBundle(path.join(staging, WORKFLOW_BUNDLE_FILE), silentLogger);

  const info: BuildInfo = {
    ...inputs,
    esbuild: esbuild.version,
    node: process.version,
    builtAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(staging, BUILD_INFO_FILE), JSON.stringify(info, null, 2) + "\n");

  // Swap the new build in whole.
  const old = `${outdir}.old-${process.pid}`;
  if (fs.existsSync(outdir)) fs.renameSync(outdir, old);
  fs.renameSync(staging, outdir);
  fs.rmSync(old, { recursive: true, force: true });

  const outputs = Object.keys(result.metafile.outputs).length;
  const kib = (file: string) => (fs.statSync(path.join(outdir, file)).size / 1024).toFixed(0);
  console.log(
    `build: ${shown}/cli.js and ${outputs - 1} chunks (esbuild ${esbuild.version}), ` +
      `${shown}/${WORKFLOW_BUNDLE_FILE} (${kib(WORKFLOW_BUNDLE_FILE)} KiB), sources sha256 ${
        inputs.sourceHash.slice(0, 12)
      }… (${inputs.files} files), in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
} catch (error) {
  fs.rmSync(staging, { recursive: true, force: true });
  console.error(`build failed: ${(error as Error).message}`);
  process.exit(1);
}
