// The exporter's own logs: JSON lines (pino) for machines; on a terminal, short readable lines.
// Every line passes through mask() on its way out, so a secret cannot leak through a log call.

import { type Logger, pino } from "pino";
import { mask } from "./secrets.ts";

const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};

/** Formats a pino JSON line as "12:00:00 WARN message key=value" for people. */
export function humanLine(json: string): string {
  try {
    const { level, time, msg, pid: _pid, hostname: _host, ...rest } = JSON.parse(json);
    const clock = new Date(time).toISOString().slice(11, 19);
    const extras = Object.entries(rest)
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" ");
    return `${clock} ${LEVEL_NAMES[level] ?? level} ${msg ?? ""}${extras ? ` ${extras}` : ""}\n`;
  } catch {
    return json;
  }
}

export interface LoggerOptions {
  level: string;
  /** Readable lines instead of JSON (a terminal). */
  human: boolean;
  destination?: { write(line: string): void };
  /** Also receives every (masked) JSON line: the dashboard's live logs. */
  tee?: { write(line: string): void };
}

export function createLogger(options: LoggerOptions): Logger {
  const out = options.destination ?? process.stderr;
  const stream = {
    write(line: string) {
      const masked = mask(line);
      out.write(options.human ? humanLine(masked) : masked);
      options.tee?.write(masked);
    },
  };
  return pino({ level: options.level, base: { pid: process.pid } }, stream);
}
