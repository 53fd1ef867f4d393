/** Every command of the CLI, in the order `--help` lists them. */
import type { RegisterCommand } from "../context.ts";

export const commands: RegisterCommand[] = [];
