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
    return {
      payload: { documents: shape(passed), ids: passed.map((event) => event.log_id) },
      checkpoint: (events[events.length - 1] as LogEvent).log_id,
      read: events.length,
      filtered: events.length - passed.length,
    };
  };
}
