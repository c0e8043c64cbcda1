// The cluster as one client: every request goes to the first URL that answers (the others are tried
// in turn when one is down), authenticated the configured way, its answer bounded, and classified
// into "fine", "retry" or "give up" the same way for every caller (bulk, setup, check).

import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { gzip, gzipSync } from "node:zlib";
import { ConfigError, SinkError } from "../../errors.ts";
import { parseBoundedJson } from "../../util/bounded-json.ts";
import { excerpt, exchange, type HttpAnswer, header, statusVerdict } from "../../util/http.ts";
import { redactUrl } from "../../util/secrets.ts";
import { Agent } from "../../util/undici.ts";
import { type Signer, signerFor } from "./auth.ts";
import type { ElasticsearchConfig } from "./config.ts";

const gzipAsync = promisify(gzip);

/** Bulk answers list every item; 16 MiB is far beyond what a page of 100 documents gets back. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const USER_AGENT = "auth0-logs-to-logstash";
const SYNC_GZIP_BYTES = 1024 * 1024;

export interface ClusterRequest {
  method: "GET" | "PUT" | "POST" | "DELETE" | "HEAD";
  path: string;
  body?: string;
  contentType?: string;
  /** Compress the body (bulk requests, when ELASTICSEARCH_GZIP). */
  gzip?: boolean;
  signal?: AbortSignal | undefined;
}

/** What the cluster's error body says, in one line. */
export function errorReason(body: string): string {
  try {
    // Bounded like every answer: a body of millions of values is no error message.
    const parsed = parseBoundedJson(body, 16) as {
      error?: string | { type?: string; reason?: string; root_cause?: { reason?: string }[] };
      message?: string;
    };
    if (typeof parsed.error === "string") return parsed.error;
    if (parsed.error?.type) return `${parsed.error.type}: ${parsed.error.reason ?? ""}`.trim();
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // Not JSON: a proxy's page, OpenSearch security's plain "Unauthorized".
  }
  return excerpt(body);
}

export class ClusterClient {
  readonly urls: string[];
  private readonly agent: Agent;
  private readonly signer: Signer;
  /** The URL that answered last: tried first next time. */
  private current = 0;

  constructor(config: Pick<ElasticsearchConfig, "urls" | "auth" | "caFile">, timeoutMs: number) {
    this.urls = config.urls;
    let ca: Buffer | undefined;
    if (config.caFile) {
      try {
        ca = readFileSync(config.caFile);
      } catch (error) {
        throw new ConfigError([
          `ELASTICSEARCH_CA_FILE: cannot read ${config.caFile} (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`,
        ]);
      }
    }
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connectTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connections: 4,
      ...(ca ? { connect: { ca } } : {}),
    });
    this.signer = signerFor(config.auth);
  }

  /** The cluster as shown to people: its first URL, without credentials. */
  get shown(): string {
    return redactUrl(this.urls[this.current] ?? this.urls[0] ?? "");
  }

  /**
   * Sends to each URL in turn until one answers at all; a connection failure on every one is a
   * retryable SinkError. Any answer, whatever its status, is returned for the caller to judge.
   */
  async request(request: ClusterRequest): Promise<HttpAnswer> {
    let body: Buffer | undefined;
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": USER_AGENT,
    };
    if (request.body !== undefined) {
      headers["content-type"] = request.contentType ?? "application/json";
      body = Buffer.from(request.body);
      if (request.gzip) {
        // Small bodies (a page of ordinary events) compress faster than a trip to the thread pool.
        body =
          body.length < SYNC_GZIP_BYTES
            ? gzipSync(body, { level: 1 })
            : await gzipAsync(body, { level: 1 });
        headers["content-encoding"] = "gzip";
      }
    }
    let failure: unknown;
    for (let attempt = 0; attempt < this.urls.length; attempt++) {
      const index = (this.current + attempt) % this.urls.length;
      const url = `${this.urls[index]}${request.path}`;
      try {
        const signed = await this.signer(url, request.method, headers, body);
        const answer = await exchange(this.agent, url, {
          method: request.method,
          headers: signed,
          body,
          signal: request.signal,
          peer: `Elasticsearch ${redactUrl(this.urls[index] as string)}`,
          caSetting: "ELASTICSEARCH_CA_FILE",
          errorClass: SinkError,
          maxBytes: MAX_ANSWER_BYTES,
        });
        this.current = index;
        return answer;
      } catch (error) {
        if (!(error instanceof SinkError) || !error.retryable) throw error;
        failure = error;
      }
    }
    throw failure;
  }

  /** Throws the SinkError an unsuccessful answer deserves; returns for 2xx. */
  static judge(answer: HttpAnswer, what: string): void {
    const { status } = answer;
    const verdict = statusVerdict(answer);
    if (verdict.kind === "ok") return;
    const reason = errorReason(answer.body);
    if (verdict.kind === "retry") {
      throw new SinkError(`${what}: the cluster answered ${status} (${reason})`, {
        retryable: true,
        status,
      });
    }
    if (verdict.kind === "credentials") {
      throw new SinkError(
        `${what}: the cluster refused the credentials or the user's privileges (${status} ${reason}); check ELASTICSEARCH_USER/PASSWORD, ELASTICSEARCH_API_KEY or the AWS role`,
        { retryable: false, status },
      );
    }
    throw new SinkError(`${what}: the cluster answered ${status} (${reason})`, {
      retryable: false,
      status,
    });
  }

  /** Elasticsearch sends X-Elastic-Product on every authenticated answer; OpenSearch never does. */
  static elasticProduct(answer: HttpAnswer): string | undefined {
    return header(answer, "x-elastic-product");
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
