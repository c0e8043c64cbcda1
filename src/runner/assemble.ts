// The one place a job is assembled from settings: its source, sink and pipeline. Every command
// (run, once, check), the tests, the benchmarks and the demo get their parts here. The parts live
// as long as the job: the source's pacing and both sides' connections outlast its executions.

import type { Logger } from "pino";
import { Auth0Source } from "../auth0/source.ts";
import type { JobSettings } from "../config/types.ts";
import type { JobStore, Sink } from "../interfaces.ts";
import { type Batcher, makeBatcher } from "../pipeline/batch.ts";
import { openSink, sinkModule } from "../sinks/index.ts";

export interface Job {
  source: Auth0Source;
  sink: Sink;
  batcher: Batcher;
  close(): Promise<void>;
}

/** The ECS format's data stream fields: the target's parts, or our default family. */
export function ecsTarget(config: JobSettings): { dataset: string; namespace: string } {
  const stream = sinkModule(config.sink).dataStream?.(config.sink) ?? null;
  return stream ?? { dataset: "auth0.export", namespace: "default" };
}

export async function assembleJob(
  config: JobSettings,
  deps: { store: JobStore; logger: Logger; batchSize?: number },
): Promise<Job> {
  const source = new Auth0Source({
    ...config.auth0,
    batchSize: deps.batchSize ?? config.batchSize,
    store: deps.store.tokens,
    requestTimeoutMs: config.requestTimeoutMs,
    rateLimitShare: config.rateLimitShare,
  });
  const sink = await openSink(config, { logger: deps.logger });
  const batcher = makeBatcher({
    logTypes: config.logTypes,
    logLevel: config.logLevel,
    documentFormat: config.documentFormat,
    keepId: config.keepId,
    ecs: ecsTarget(config),
  });
  return {
    source,
    sink,
    batcher,
    close: async () => {
      await Promise.allSettled([source.close(), sink.close()]);
    },
  };
}
