// LOG_TYPES and LOG_LEVEL combine as in the original extension: an event passes if its type is
// listed OR its level is at least LOG_LEVEL; with neither set, everything passes. Events of codes
// we do not know have no level: they pass a LOG_LEVEL filter, because sending beats losing.

import type { LogEvent } from "../interfaces.ts";
import { levelOf } from "./log-types.ts";

export function makeFilter(options: {
  logTypes?: string[] | undefined;
  logLevel?: number | undefined;
}): (event: LogEvent) => boolean {
  const types = options.logTypes && options.logTypes.length > 0 ? new Set(options.logTypes) : null;
  const minLevel = options.logLevel;
  if (types === null && minLevel === undefined) return () => true;
  return (event) => {
    if (types?.has(event.type as string)) return true;
    if (minLevel === undefined) return false;
    const level = levelOf(event.type);
    return level === undefined || level >= minLevel;
  };
}
