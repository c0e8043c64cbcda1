// Turns Auth0 events into the documents sent, in the chosen DOCUMENT_FORMAT; what a particular sink
// adds (Logstash's index and post_date, Elasticsearch's @timestamp) is that sink's encoder's.
// It runs on every event, so it takes ownership of the events it is given (freshly parsed, used by
// nobody else) and extends them in place instead of copying: a removed field is set to undefined,
// which JSON.stringify leaves out, so that objects keep their shape and stay fast to serialize.

import type { DocumentFormat, LogEvent } from "../interfaces.ts";
import { type EcsOptions, makeEcsShaper } from "./ecs.ts";
import { describeType } from "./log-types.ts";

export interface ShapeOptions {
  format: DocumentFormat;
  keepId: boolean;
  /** The data stream's parts, for the ECS format's data_stream and event.dataset fields. */
  ecs: EcsOptions;
}

export type Shaper = (events: LogEvent[]) => Record<string, unknown>[];

export function makeShaper(options: ShapeOptions): Shaper {
  if (options.format === "ecs") return makeEcsShaper(options.ecs);
  const dropId = !options.keepId;
  if (options.format === "log-streams") {
    return (events) =>
      events.map((event) => {
        if (dropId && event._id !== undefined) event._id = undefined;
        return { log_id: event.log_id, data: event };
      });
  }
  return (events) => {
    for (const event of events) {
      if (dropId && event._id !== undefined) event._id = undefined;
      (event as Record<string, unknown>).type_description = describeType(event.type);
    }
    return events;
  };
}
