// Turns Auth0 events into the documents sent. Shallow copies only: this runs on every event.

import type { DocumentFormat } from "../config/types.ts";
import type { LogEvent } from "../interfaces.ts";
import { describeType } from "./log-types.ts";

export interface ShapeOptions {
  format: DocumentFormat;
  index: string;
  keepId: boolean;
  now?: () => Date;
}

function withoutId(event: LogEvent, keepId: boolean): Record<string, unknown> {
  if (keepId || !("_id" in event)) return { ...event };
  const { _id: _dropped, ...rest } = event;
  return rest;
}

export function makeShaper(
  options: ShapeOptions,
): (events: LogEvent[]) => Record<string, unknown>[] {
  const now = options.now ?? (() => new Date());
  if (options.format === "log-streams") {
    return (events) =>
      events.map((event) => ({ log_id: event.log_id, data: withoutId(event, options.keepId) }));
  }
  return (events) => {
    const postDate = now().toISOString();
    return events.map((event) => {
      const document = withoutId(event, options.keepId);
      // Logstash's http input (ECS mode) sets an object user_agent on every event: a string
      // user_agent from Auth0 would collide with it.
      if (typeof document.user_agent === "string") {
        document.auth0_user_agent = document.user_agent;
        delete document.user_agent;
      }
      document.type_description = describeType(event.type);
      document.index = options.index;
      document.post_date = postDate;
      return document;
    });
  };
}
