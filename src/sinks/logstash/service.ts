// One POST to Logstash and the verdict on its answer: acknowledged, retry, or give up.

import { SinkError } from "../../errors.ts";
import { excerpt, exchange, statusVerdict } from "../../util/http.ts";
import type { Dispatcher } from "../../util/undici.ts";
import type { LogstashRequest } from "./request-builder.ts";

export async function postBatch(
  dispatcher: Dispatcher,
  request: LogstashRequest,
  signal?: AbortSignal,
): Promise<void> {
  const answer = await exchange(dispatcher, request.url, {
    method: "POST",
    headers: request.headers,
    body: request.body,
    signal,
    peer: "Logstash",
    errorClass: SinkError,
    // Logstash answers "ok"; only an error page is longer, and only its start is shown.
    maxBytes: 64 * 1024,
    truncate: true,
  });
  const { status } = answer;
  // No wait is read from Logstash's answer (Retry-After): the shared backoff paces a retry.
  const verdict = statusVerdict(answer);
  if (verdict.kind === "ok") return;
  if (verdict.kind === "retry") {
    // A 429 is Logstash's back-pressure: its pipeline is full. Slow down and send the same batch again.
    throw new SinkError(
      verdict.rateLimited ? "Logstash is backed up (429)" : `Logstash answered ${status}`,
      { retryable: true, status },
    );
  }
  if (verdict.kind === "credentials") {
    throw new SinkError(
      `Logstash refused the request (${status}): check LOGSTASH_USER and LOGSTASH_PASSWORD, or LOGSTASH_TOKEN`,
      { retryable: false, status },
    );
  }
  if (status === 413) {
    throw new SinkError(
      "Logstash refused the batch as too large (413): lower BATCH_SIZE or raise the input's max_content_length",
      { retryable: false, status },
    );
  }
  if (status === 404) {
    throw new SinkError("Logstash answered 404: check the path of LOGSTASH_URL", {
      retryable: false,
      status,
    });
  }
  throw new SinkError(`Logstash rejected the batch (${status}): ${excerpt(answer.body)}`, {
    retryable: false,
    status,
  });
}
