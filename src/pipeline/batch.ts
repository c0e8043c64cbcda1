// From a page of events to the batch the sink sends: filter, then shape. The batch's checkpoint is
// the page's last id even when that event was filtered out: filtered events are done with too.

import type { Config } from "../config/types.ts";
import type { Batch, LogEvent } from "../interfaces.ts";
import { makeFilter } from "./filter.ts";
import { makeShaper } from "./shape.ts";

export type Batcher = (events: LogEvent[]) => Batch;

export function makeBatcher(config: Config, now: () => Date = () => new Date()): Batcher {
  const keep = makeFilter({ logTypes: config.logTypes, logLevel: config.logLevel });
  const shape = makeShaper({
    format: config.documentFormat,
    index: config.logstash.index,
    keepId: config.keepId,
    now,
  });
  return (events) => {
    const passed = events.filter(keep);
    return {
      documents: shape(passed),
      ids: passed.map((event) => event.log_id),
      checkpoint: (events[events.length - 1] as LogEvent).log_id,
      read: events.length,
      filtered: events.length - passed.length,
    };
  };
}
