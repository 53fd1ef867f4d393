/** The loader hook of register.mjs: appends every resolved module URL to the log file. */
import fs from "node:fs";

let file;

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  fs.appendFileSync(file, `${result.url}\n`);
  return result;
}
