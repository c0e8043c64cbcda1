// A pusher (stream.ts) and the log-streams API's record of its stream (log-streams.ts) are one
// stream: a PATCH to active resumes the pusher, a pusher that gave up suspends the record. Both
// tell their listeners only of real changes, so binding them both ways cannot loop.

import type { FakeLogStream } from "./log-streams.ts";
import type { StreamPusher } from "./stream.ts";

/** Keeps the two statuses equal from now on (the record's first); returns what unbinds them. */
export function bindStream(stream: FakeLogStream, pusher: StreamPusher): () => void {
  pusher.setStatus(stream.status);
  const offApi = stream.onStatus((status) => pusher.setStatus(status));
  const offPusher = pusher.onStatus((status) => stream.setStatus(status));
  return () => {
    offApi();
    offPusher();
  };
}
