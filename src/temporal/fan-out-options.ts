/** The fan-out options a client passes to the daily run and reruns, from the configuration. */
import type { Config } from "../config.ts";
import { DEFAULT_TIMEOUTS, type FanOutOptions } from "./shared.ts";

export function fanOutOptionsFrom(
  config: Config,
  overrides: Partial<FanOutOptions> = {},
): FanOutOptions {
  return {
    batchSize: config.worker.batchSize,
    batchConcurrency: config.worker.batchConcurrency,
    pageSize: config.worker.pageSize,
    contentionDeadlineMs: config.worker.contentionDeadlineMs,
    timeouts: {
      ...DEFAULT_TIMEOUTS,
      heartbeatTimeoutMs: config.worker.heartbeatTimeoutMs,
    },
    ...overrides,
  };
}
