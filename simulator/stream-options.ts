// The options, counters and health of the simulated Log Stream (stream.ts), with the defaults and
// why each was chosen where Auth0 does not say (simulator/README.md, "The Log Stream").

import type { JsonObjectLayout, StreamContentFormat } from "./stream-format.ts";

export type StreamStatus = "active" | "paused" | "suspended";

export interface StreamPusherOptions {
  /** The payload URL. */
  url: string;
  /** The exact Authorization value sent (none when unset, as Auth0 allows). */
  authorization?: string;
  /** The configured media type (default application/json, the usual choice). */
  contentType?: string;
  /** The Content Format (default JSONLINES, what `setup --log-stream` creates). */
  format?: StreamContentFormat;
  /** JSONOBJECT only: `{"logs": […]}` (default) or one bare element per request. */
  jsonObjectLayout?: JsonObjectLayout;
  /** Custom headers (`httpCustomHeaders`). */
  headers?: Record<string, string>;
  /** Elements per request at most [UNCONFIRMED for Auth0] (default 100). */
  batchSize?: number;
  /** A batch goes at most this long after its oldest event was created (default 250 ms). */
  flushMs?: number;
  /** Requests in flight at once (default 2). */
  concurrency?: number;
  /** How long an answer is waited for [UNCONFIRMED for Auth0] (default 10 s). */
  timeoutMs?: number;
  /** Retries after a failed attempt, Auth0's "up to three times" (default 3). */
  retries?: number;
  /** The first retry's wait, doubled for each next one (default 200 ms). */
  backoffMs?: number;
  /** How often errored batches are sent again, "until the problem is resolved" (default 5 s). */
  redriveMs?: number;
  /** Failing without a success for this long suspends the stream (Auth0: 7 days). */
  suspendAfterMs?: number;
  /** ...and at least this many consecutive failed attempts (default 1: the period decides). */
  suspendAfterFailures?: number;
  /** Events after this log id already in the log are sent first (Auth0's Starting Cursor). */
  from?: string;
  /** Shuffles events within batches and the order batches go in. */
  shuffle?: boolean;
  /** Share of delivered batches sent a second time, later. */
  redeliverRate?: number;
  /** Share of batches never sent. */
  dropRate?: number;
  /** Seed of the shuffles and rates (default 1), through faults.ts's seeded generator. */
  seed?: number;
  status?: StreamStatus;
}

export interface StreamHealthError {
  at: number;
  /** The last answer's status, or null for a network error or timeout. */
  status: number | null;
  message: string;
  events: number;
}

export interface StreamCounters {
  /** Requests answered 2xx, redeliveries included. */
  sentBatches: number;
  sentEvents: number;
  /** Batches scheduled for a second delivery. */
  redelivered: number;
  /** Batches never sent, and their events' ids. */
  dropped: number;
  droppedIds: string[];
  /** Attempts that failed (a non-2xx answer, a network error or a timeout). */
  failures: number;
  /** Batches that failed all their retries, each an error in the health. */
  errored: number;
  lastError: StreamHealthError | null;
}

/** The defaults: Auth0's where it documents them, a stated choice where it does not. */
export const STREAM_DEFAULTS: Required<
  Omit<StreamPusherOptions, "url" | "authorization" | "headers" | "from" | "status">
> = {
  contentType: "application/json",
  format: "JSONLINES",
  jsonObjectLayout: "logs",
  batchSize: 100,
  flushMs: 250,
  concurrency: 2,
  timeoutMs: 10_000,
  retries: 3,
  backoffMs: 200,
  redriveMs: 5_000,
  suspendAfterMs: 7 * 24 * 3_600_000,
  suspendAfterFailures: 1,
  shuffle: false,
  redeliverRate: 0,
  dropRate: 0,
  seed: 1,
};
