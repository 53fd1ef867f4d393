/** A description of the machine a benchmark ran on, written into every result file. */
import os from "node:os";
import process from "node:process";

export interface MachineDescription {
  host: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  runtime: string;
  date: string;
}

export function describeMachine(): MachineDescription {
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  return {
    host: os.hostname(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    runtime: deno ? `deno ${deno.version.deno}` : `node ${process.version}`,
    date: new Date().toISOString(),
  };
}
