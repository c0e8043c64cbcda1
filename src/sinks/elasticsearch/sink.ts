// The Elasticsearch/OpenSearch sink: each batch as `_bulk` requests of `create` actions with the
// Auth0 log_id as document id, so that a re-send (a crash, a lost answer, a replay) finds the
// document already there instead of indexing it twice. Answers are judged per item: delivered,
// retried alone with the shared backoff, or rejected with the cluster's reason for the runner to
// keep as a dead letter. Before its first batch it asks the cluster what it is, and installs the
// index template when it is missing (ELASTICSEARCH_SETUP=auto); with ELASTICSEARCH_SETUP=off it
// creates a data-stream target explicitly first, refusing where a write would make a plain index.

import type { Logger } from "pino";
import { SinkError } from "../../errors.ts";
import type {
  DeliveryReport,
  DocumentFormat,
  Rejection,
  SendContext,
  Sink,
  SinkBatch,
  SinkInfo,
} from "../../interfaces.ts";
import { parseBoundedJson } from "../../util/bounded-json.ts";
import { retryFor, withRetry } from "../../util/retry.ts";
import type { ElasticsearchConfig } from "./config.ts";
import { type Diagnosis, diagnose } from "./diagnose.ts";
import { encodeDocument } from "./encoder.ts";
import { IndexLookup } from "./lookup.ts";
import { type ClusterProduct, describeProduct, detectProduct, SERVERLESS } from "./product.ts";
import { type BulkItem, bulkBody, chunkItems } from "./request-builder.ts";
import { answerItems, verdictOf } from "./retry.ts";
import { ClusterClient } from "./service.ts";
import {
  applySetup,
  describeItems,
  lifecycleNote,
  lifecycleUnavailable,
  planFor,
} from "./setup.ts";
import { guardDataStream, isMisplacedIndex, plainIndexProblem } from "./target.ts";

export interface ElasticsearchSinkConfig extends ElasticsearchConfig {
  timeoutMs: number;
  format: DocumentFormat;
}

export class ElasticsearchSink implements Sink {
  readonly info: SinkInfo;
  readonly client: ClusterClient;
  private readonly config: ElasticsearchSinkConfig;
  private readonly logger: Logger;
  private ready: Promise<ClusterProduct> | null = null;
  private readonly index: IndexLookup;

  constructor(config: ElasticsearchSinkConfig, logger: Logger) {
    this.config = config;
    this.logger = logger;
    this.client = new ClusterClient(config, config.timeoutMs);
    // Every document's id is its log_id (`create` actions): an ids query finds it.
    this.index = new IndexLookup(this.client, config.index);
    // Two bulks in flight hide the cluster's latency; a re-send cannot duplicate (ids are log_ids).
    this.info = {
      kind: "elasticsearch",
      target: `Elasticsearch ${this.client.shown} (${config.index})`,
      concurrency: 2,
    };
  }

  /** What the cluster is: GET / (Serverless does not serve it; the settings say so instead). */
  async detect(signal?: AbortSignal): Promise<ClusterProduct> {
    if (this.config.auth.kind === "aws" && this.config.auth.service === "aoss") return SERVERLESS;
    return detectProduct(this.client, signal);
  }

  /** Detects the product and, with ELASTICSEARCH_SETUP=auto, installs what is missing; once. */
  private prepare(context: SendContext): Promise<ClusterProduct> {
    this.ready ??= withRetry(
      async () => {
        const product = await this.detect(context.signal);
        this.info.target = `${describeProduct(product)} ${this.client.shown} (${this.config.index})`;
        const amazonServerless = product.serverless && product.product === "opensearch";
        if (this.config.autoSetup) {
          const plan = planFor(this.config, product, this.config.format);
          const outcome = await applySetup(this.client, plan, context.signal, this.config);
          const installed = outcome.items.filter(
            (item) => item.state === "missing" || item.state === "outdated",
          );
          if (installed.length > 0 || outcome.attached.length > 0) {
            this.logger.info(
              {
                before: describeItems(outcome.items),
                rolledOver: outcome.rolledOver,
                attached: outcome.attached,
              },
              "index template and lifecycle policy installed (ELASTICSEARCH_SETUP=auto)",
            );
          }
          if (lifecycleUnavailable(outcome.items)) this.logger.warn(lifecycleNote(this.config));
          if (outcome.state && isMisplacedIndex(this.config, outcome.state)) {
            this.logger.warn(plainIndexProblem(this.config.index));
          }
        } else if (!amazonServerless) {
          const warning = await guardDataStream(
            this.client,
            this.config,
            product.product,
            context.signal,
          );
          if (warning) this.logger.warn(warning);
        }
        return product;
      },
      retryFor("sink", context),
    ).catch((error) => {
      // Tried again at the next batch, or execution.
      this.ready = null;
      throw error;
    });
    return this.ready;
  }

  async send(batch: SinkBatch, context: SendContext): Promise<DeliveryReport> {
    const { product } = await this.prepare(context);
    const items: BulkItem[] = batch.documents.map((document, index) => ({
      index,
      id: batch.ids[index] as string,
      source: encodeDocument(document, this.config.format, product),
    }));
    const report: DeliveryReport = { delivered: 0, rejected: [] };
    for (const chunk of chunkItems(items, this.config.bulkMaxBytes)) {
      await this.sendChunk(chunk, batch, context, report);
    }
    return report;
  }

  /**
   * Sends a chunk until every item is delivered or rejected: items that failed for a reason worth
   * retrying are sent again alone (a smaller request each time), with the shared backoff.
   */
  private async sendChunk(
    chunk: BulkItem[],
    batch: SinkBatch,
    context: SendContext,
    report: DeliveryReport,
  ): Promise<void> {
    let pending = chunk;
    const reject = (item: BulkItem, status: number, reason: string) => {
      const rejection: Rejection = {
        id: item.id,
        status,
        reason,
        document: batch.documents[item.index] as Record<string, unknown>,
      };
      report.rejected.push(rejection);
    };
    await withRetry(
      async () => {
        const answer = await this.client.request({
          method: "POST",
          // Only what the verdicts need: an item's status, and its error when it has one.
          path: `/${this.config.index}/_bulk?filter_path=errors,items.*.status,items.*.error`,
          body: bulkBody(pending),
          contentType: "application/x-ndjson",
          gzip: this.config.gzip,
          signal: context.signal,
        });
        if (answer.status === 413) {
          if (pending.length === 1) {
            reject(
              pending[0] as BulkItem,
              413,
              "the document is larger than the cluster's http.max_content_length",
            );
            pending = [];
            return;
          }
          // Too large for the cluster: the halves go one after the other, each with its own retries.
          const half = Math.ceil(pending.length / 2);
          const [first, second] = [pending.slice(0, half), pending.slice(half)];
          pending = [];
          await this.sendChunk(first, batch, context, report);
          await this.sendChunk(second, batch, context, report);
          return;
        }
        ClusterClient.judge(answer, "_bulk");
        const answered = answerItems(parseBoundedJson(answer.body, 32), pending.length);
        const retry: BulkItem[] = [];
        let retryStatus = 0;
        let retryReason = "";
        answered.forEach((entry, i) => {
          const item = pending[i] as BulkItem;
          const verdict = verdictOf(entry);
          if (verdict.kind === "delivered") report.delivered++;
          else if (verdict.kind === "rejected") reject(item, verdict.status, verdict.reason);
          else {
            retry.push(item);
            retryStatus = verdict.status;
            retryReason = verdict.reason;
          }
        });
        pending = retry;
        if (retry.length > 0) {
          throw new SinkError(
            `${retry.length} of ${answered.length} documents to send again (${retryStatus} ${retryReason})`,
            { retryable: true, status: retryStatus },
          );
        }
      },
      retryFor("sink", context),
    );
  }

  /** Those of `ids` the data stream or index holds (verify). */
  readonly lookup = (ids: string[], context: SendContext): Promise<Set<string>> =>
    this.index.present(ids, context);

  /** GET /, the index template, the target and the user's privileges; writes nothing. */
  async check(context: SendContext): Promise<string | undefined> {
    return (await this.diagnose(context)).detail;
  }

  /**
   * What `check` prints: a detail for its ok line, and what could not be verified (WARN lines);
   * throws what makes the sink fail or write where it should not.
   */
  diagnose(context: SendContext): Promise<Diagnosis> {
    return diagnose(this.client, this.config, () => this.detect(context.signal), context);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
