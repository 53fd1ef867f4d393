/**
 * What the Temporal commands (schedule, rerun) share: a client for the length of one command,
 * with Temporal's failures turned into the CLI's exit codes (3 when the server cannot be
 * reached, 1 when the schedule does not exist).
 */
import type { Client } from "@temporalio/client";
import type { CliContext } from "../cli/context.ts";
import { CliError, ExitCode } from "../cli/io.ts";
import type { Config } from "../config.ts";
import { ClaimsError } from "../errors.ts";
import { connectClient, isUnavailable, unreachable } from "./connection.ts";

export async function withTemporalClient<T>(
  ctx: CliContext,
  fn: (client: Client, config: Config) => Promise<T>,
): Promise<T> {
  const config = ctx.config();
  const handle = await connectClient(config);
  try {
    return await fn(handle.client, config);
  } catch (error) {
    if (error instanceof ClaimsError || error instanceof CliError) throw error;
    if ((error as Error)?.name === "ScheduleNotFoundError") {
      throw new CliError(
        `schedule "${config.schedule.id}" does not exist in namespace ` +
          `${config.temporal.namespace}: create it with \`claims schedule ensure\``,
        ExitCode.FAILED,
        { cause: error },
      );
    }
    if (isUnavailable(error)) throw unreachable(config, error);
    throw error;
  } finally {
    await handle.close();
  }
}
