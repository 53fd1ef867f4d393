/**
 * A tiny structured logger: one JSON object per line (`ts`, `level`, `msg`, then fields), so
 * that log shippers parse it without a grok pattern. Every string goes through `redact`: a URL
 * with a password can reach a log through an error message, never in clear.
 */
import { redactSecrets } from "./redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go (default: stderr, so that a command's JSON on stdout stays clean). */
  write?: (line: string) => void;
  /** Known secret values to mask besides URL passwords (e.g. an API key). */
  secrets?: readonly (string | null | undefined)[];
  clock?: () => number;
}

/** Errors become plain objects: JSON.stringify drops their message and stack otherwise. */
function plain(value: unknown, depth = 0): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return value;
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out["code"] = code;
    if (value.cause !== undefined && depth < 3) out["cause"] = plain(value.cause, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return depth > 4 ? "[…]" : value.map((v) => plain(v, depth + 1));
  if (value && typeof value === "object") {
    if (depth > 4) return "{…}";
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v, depth + 1);
    return out;
  }
  return value;
}

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const min = RANK[options.level ?? "info"];
  const write = options.write ?? ((line: string) => void globalThis.console.error(line));
  const secrets = options.secrets ?? [];
  const clock = options.clock ?? Date.now;
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    const record = {
      ts: new Date(clock()).toISOString(),
      level,
      msg,
      ...(plain(bound) as LogFields),
      ...(plain(fields ?? {}) as LogFields),
    };
    write(redactSecrets(JSON.stringify(record), secrets));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
