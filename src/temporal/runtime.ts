/**
 * The Temporal runtime of a worker process (once per process): SDK and core logs go through
 * our JSON logger, Temporal's own metrics go to a Prometheus exporter on an internal loopback
 * port (src/metrics/server.ts serves them on METRICS_PORT), and OS signals are left to the CLI,
 * which drains the worker itself.
 */
import type { Logger as SdkLogger, LogLevel as SdkLogLevel, LogMetadata } from "@temporalio/common";
import type { Logger, LogLevel } from "../log.ts";

const TO_SDK: Record<LogLevel, SdkLogLevel> = {
  debug: "DEBUG",
  info: "INFO",
  warn: "WARN",
  error: "ERROR",
};

export interface RuntimeSetup {
  log: Logger;
  level: LogLevel;
  /** host:port for the SDK's Prometheus exporter; none when metrics are off. */
  metricsBindAddress?: string | undefined;
}

/** The SDK's Logger interface over our JSON logger. */
export function temporalLogger(log: Logger, level: LogLevel = "info"): SdkLogger {
  const write = (sdkLevel: SdkLogLevel, message: string, meta?: LogMetadata) => {
    const ours: LogLevel = sdkLevel === "TRACE" ? "debug" : (sdkLevel.toLowerCase() as LogLevel);
    if (RANK[ours] >= RANK[level]) log[ours](message, { source: "temporal", ...meta });
  };
  return {
    log: write,
    trace: (message, meta) => write("TRACE", message, meta),
    debug: (message, meta) => write("DEBUG", message, meta),
    info: (message, meta) => write("INFO", message, meta),
    warn: (message, meta) => write("WARN", message, meta),
    error: (message, meta) => write("ERROR", message, meta),
  };
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** True when this call installed the runtime; false when one was already installed. */
export async function installTemporalRuntime(setup: RuntimeSetup): Promise<boolean> {
  const { Runtime } = await import("@temporalio/worker");
  const logger = temporalLogger(setup.log, setup.level);
  try {
    Runtime.install({
      logger,
      shutdownSignals: [],
      telemetryOptions: {
        logging: { forward: {}, filter: { core: TO_SDK[setup.level], other: "WARN" } },
        ...(setup.metricsBindAddress
          ? { metrics: { prometheus: { bindAddress: setup.metricsBindAddress } } }
          : {}),
      },
    });
    return true;
  } catch (error) {
    if ((error as Error).name === "IllegalStateError") return false;
    throw error;
  }
}
