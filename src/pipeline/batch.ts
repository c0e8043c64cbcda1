// From a page of events to the runner's batch: filter, then shape. The batch's checkpoint is the
// page's last id even when that event was filtered out: filtered events are done with too.

import type { DocumentFormat, LogEvent, PageBatch } from "../interfaces.ts";
import type { EcsOptions } from "./ecs.ts";
import { makeFilter } from "./filter.ts";
import { makeShaper } from "./shape.ts";

export interface PipelineOptions {
  logTypes: string[] | undefined;
  logLevel: number | undefined;
  documentFormat: DocumentFormat;
  keepId: boolean;
  ecs: EcsOptions;
}

/** Auth0's events about its rate limits, counted as they pass whatever LOG_TYPES keeps. */
export const LIMIT_EVENT_TYPES = new Set(["api_limit", "api_limit_warning"]);

export function countLimitEvents(events: LogEvent[]): Record<string, number> | undefined {
  let counts: Record<string, number> | undefined;
  for (const event of events) {
    const type = event.type;
    if (typeof type === "string" && LIMIT_EVENT_TYPES.has(type)) {
      counts ??= {};
      counts[type] = (counts[type] ?? 0) + 1;
    }
  }
  return counts;
}

export type Batcher = (events: LogEvent[]) => PageBatch;

export function makeBatcher(options: PipelineOptions): Batcher {
  const keep = makeFilter({ logTypes: options.logTypes, logLevel: options.logLevel });
  const shape = makeShaper({
    format: options.documentFormat,
    keepId: options.keepId,
    ecs: options.ecs,
  });
  return (events) => {
    const passed = events.filter(keep);
    const limitEvents = countLimitEvents(events);
    return {
      ...(limitEvents ? { limitEvents } : {}),
      payload: { documents: shape(passed), ids: passed.map((event) => event.log_id) },
      checkpoint: (events[events.length - 1] as LogEvent).log_id,
      read: events.length,
      filtered: events.length - passed.length,
    };
  };
}
