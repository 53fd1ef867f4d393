import type { Command } from "commander";
import type { Config, loadConfig } from "../config.ts";
import type { CliIO, ExitCodeValue } from "./io.ts";

/** What every command receives: its IO, the configuration (validated on first use), the exit code. */
export interface CliContext {
  io: CliIO;
  config(): Config;
  setExitCode(code: ExitCodeValue): void;
  verbose(): boolean;
}

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

/**
 * The context of one run, and the step that loads the configuration module: the program runs
 * it before any action (a preAction hook), so that `config()` stays synchronous while `--help`
 * and usage errors never load the configuration's validation (zod: tens of milliseconds).
 */
export function createContext(
  io: CliIO,
  program: Command,
  onExit: (code: ExitCodeValue) => void,
): { ctx: CliContext; loadConfigModule(): Promise<void> } {
  let load: typeof loadConfig | undefined;
  let config: Config | undefined;
  const ctx: CliContext = {
    io,
    config() {
      if (!load) throw new Error("the configuration module is loaded before a command runs");
      config ??= load(io.env);
      return config;
    },
    setExitCode: onExit,
    verbose: () => Boolean(program.opts()["verbose"]),
  };
  return {
    ctx,
    async loadConfigModule() {
      load ??= (await import("../config.ts")).loadConfig;
    },
  };
}
