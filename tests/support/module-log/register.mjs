/**
 * `node --import <this file> …` records every module the process loads into the file named by
 * CLAIMS_MODULE_LOG, one URL or path a line: ES modules as the loader resolves them (a hook on
 * the loader's thread, hooks.mjs) and CommonJS modules from the require cache at exit. Plain
 * JavaScript, so that it runs beside the built CLI without tsx. Used by
 * tests/cli/lazy-loading.test.ts to prove that a command loads no heavy dependency.
 */
import fs from "node:fs";
import { createRequire, register } from "node:module";
import process from "node:process";

const file = process.env["CLAIMS_MODULE_LOG"];
if (!file) throw new Error("CLAIMS_MODULE_LOG: name the file that records the loaded modules");
register(new URL("./hooks.mjs", import.meta.url), { data: { file } });
process.on("exit", () => {
  const cache = createRequire(import.meta.url).cache;
  fs.appendFileSync(file, Object.keys(cache).map((p) => `${p}\n`).join(""));
});
