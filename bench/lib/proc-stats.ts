/**
 * Memory and CPU time of another process from /proc (Linux). Memory: VmRSS now and VmHWM, the
 * peak resident set since the process started; a sampler polls VmRSS too, for the peak of one
 * phase (VmHWM cannot be reset without privileges). CPU: user + system time of all its
 * threads, which on a shared machine says more about cost than wall time does.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";

export interface ProcMemory {
  rssKb: number;
  /** Peak RSS since the process started (the kernel's high-water mark). */
  hwmKb: number;
}

/** The process's memory, or null when it has gone (or this is not Linux). */
export function readProcMemory(pid: number): ProcMemory | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(text);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name} line`);
    return Number(match[1]);
  };
  return { rssKb: field("VmRSS"), hwmKb: field("VmHWM") };
}

export interface RssSampler {
  /** Stops polling; the highest VmRSS seen and the number of samples. */
  stop(): { peakRssKb: number; samples: number };
}

export function sampleRss(pid: number, everyMs = 250): RssSampler {
  let peak = 0;
  let samples = 0;
  const poll = () => {
    const memory = readProcMemory(pid);
    if (!memory) return;
    samples++;
    peak = Math.max(peak, memory.rssKb);
  };
  poll();
  const timer = setInterval(poll, everyMs);
  return {
    stop() {
      clearInterval(timer);
      poll();
      return { peakRssKb: peak, samples };
    },
  };
}

export const kbToMb = (kb: number): number => Math.round((kb / 1024) * 10) / 10;

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      ticksPerSecond = 100; // the value on every Linux this runs on; getconf is only a check
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** User + system CPU time of the process (all threads) so far, ms; null when it has gone. */
export function readProcCpuMs(pid: number): number | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: split after it.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`/proc/${pid}/stat has no utime/stime`);
  return (ticks / clockTicks()) * 1000;
}
