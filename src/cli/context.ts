import type { Command } from "commander";
import { type Config, loadConfig } from "../config.ts";
import type { CliIO, ExitCodeValue } from "./io.ts";

/** What every command receives: its IO, the configuration (validated on first use), the exit code. */
export interface CliContext {
  io: CliIO;
  config(): Config;
  setExitCode(code: ExitCodeValue): void;
  verbose(): boolean;
}

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export function createContext(
  io: CliIO,
  program: Command,
  onExit: (code: ExitCodeValue) => void,
): CliContext {
  let config: Config | undefined;
  return {
    io,
    config() {
      config ??= loadConfig(io.env);
      return config;
    },
    setExitCode: onExit,
    verbose: () => Boolean(program.opts()["verbose"]),
  };
}
