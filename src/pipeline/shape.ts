// Turns Auth0 events into the documents sent. It runs on every event, so it takes ownership of the
// events it is given (freshly parsed, used by nobody else) and extends them in place instead of
// copying: a removed field is set to undefined, which JSON.stringify leaves out, so that objects
// keep their shape and stay fast to serialize.

import type { DocumentFormat } from "../config/types.ts";
import type { LogEvent } from "../interfaces.ts";
import { describeType } from "./log-types.ts";

export interface ShapeOptions {
  format: DocumentFormat;
  index: string;
  keepId: boolean;
  now?: () => Date;
}

export type Shaper = (events: LogEvent[]) => Record<string, unknown>[];

export function makeShaper(options: ShapeOptions): Shaper {
  const now = options.now ?? (() => new Date());
  const dropId = !options.keepId;
  if (options.format === "log-streams") {
    return (events) =>
      events.map((event) => {
        if (dropId && event._id !== undefined) event._id = undefined;
        return { log_id: event.log_id, data: event };
      });
  }
  return (events) => {
    const postDate = now().toISOString();
    for (const event of events) {
      const document = event as Record<string, unknown>;
      if (dropId && document._id !== undefined) document._id = undefined;
      // Logstash's http input (ECS mode) sets an object user_agent on every event: a string
      // user_agent from Auth0 would collide with it.
      if (typeof document.user_agent === "string") {
        document.auth0_user_agent = document.user_agent;
        document.user_agent = undefined;
      }
      document.type_description = describeType(event.type);
      document.index = options.index;
      document.post_date = postDate;
    }
    return events;
  };
}
