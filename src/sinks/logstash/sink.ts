// The Logstash sink: one POST of a JSON array per batch over a keep-alive connection, retried with
// the shared backoff until acknowledged or the execution's retry budget is spent. Logstash answers
// for the whole batch, so a batch is delivered whole or not at all: it never rejects a document.

import type { DeliveryReport, SendContext, Sink, SinkBatch, SinkInfo } from "../../interfaces.ts";
import { newAgent } from "../../util/http.ts";
import { retryFor, withRetry } from "../../util/retry.ts";
import { redactUrl } from "../../util/secrets.ts";
import type { Agent } from "../../util/undici.ts";
import type { IndexLookup } from "../elasticsearch/lookup.ts";
import type { LogstashSinkConfig } from "./config.ts";
import { encodeBatch } from "./encoder.ts";
import { buildRequest } from "./request-builder.ts";
import { postBatch } from "./service.ts";

export class LogstashSink implements Sink {
  readonly info: SinkInfo;
  private readonly config: LogstashSinkConfig;
  private readonly agent: Agent;

  readonly lookup: ((ids: string[], context: SendContext) => Promise<Set<string>>) | undefined;
  private index: Promise<IndexLookup> | null = null;

  constructor(config: LogstashSinkConfig) {
    this.config = config;
    this.agent = newAgent(config.timeoutMs);
    this.info = { kind: "logstash", target: `Logstash ${redactUrl(config.url)}` };
    const verify = config.verify;
    // Logstash answers for a batch, not for what its pipeline indexed: only the index can say.
    this.lookup = verify
      ? async (ids, context) => {
          // The cluster client is loaded only by `verify`, never by an export.
          this.index ??= import("../elasticsearch/lookup.ts").then(
            async ({ IndexLookup }) =>
              new IndexLookup(
                new (await import("../elasticsearch/service.ts")).ClusterClient(
                  { urls: verify.urls, auth: verify.auth, caFile: undefined },
                  this.config.timeoutMs,
                ),
                verify.index,
                verify.idField,
              ),
          );
          return (await this.index).present(ids, context);
        }
      : undefined;
  }

  async send(batch: SinkBatch, context: SendContext): Promise<DeliveryReport> {
    const request = buildRequest(this.config, encodeBatch(batch.documents, this.config));
    await withRetry(
      () => postBatch(this.agent, request, context.signal),
      retryFor("sink", context),
    );
    return { delivered: batch.documents.length, rejected: [] };
  }

  async check(context: SendContext): Promise<string | undefined> {
    await postBatch(this.agent, buildRequest(this.config, "[]"), context.signal);
    return "POST [] accepted";
  }

  async close(): Promise<void> {
    await this.agent.close();
    await (await this.index)?.close();
  }
}
