// Slack incoming webhook. A message never fails or delays an export: posts run in the background,
// a 429 is retried once after its Retry-After when short, and anything else is logged.

import type { Logger } from "pino";
import { AbortedError, describe, ExporterError } from "../errors.ts";
import { exchange, header, newAgent } from "../util/http.ts";
import { mask } from "../util/secrets.ts";
import type { Agent } from "../util/undici.ts";

export interface SlackMessage {
  text: string;
  blocks?: unknown[];
}

export interface Field {
  label: string;
  value: string;
}

/** Block Kit layout: a header, a line of text, fields; `text` stays the plain-text fallback. */
export function layout(title: string, text: string, fields: Field[]): SlackMessage {
  const safeFields = fields.map((f) => ({
    type: "mrkdwn",
    text: `*${f.label}*\n${mask(f.value)}`,
  }));
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: title.slice(0, 150) } },
    { type: "section", text: { type: "mrkdwn", text: mask(text).slice(0, 2900) } },
  ];
  for (let i = 0; i < safeFields.length; i += 10) {
    blocks.push({ type: "section", fields: safeFields.slice(i, i + 10) });
  }
  const fallback = [title, mask(text), ...fields.map((f) => `${f.label}: ${mask(f.value)}`)].join(
    "\n",
  );
  return { text: fallback, blocks };
}

export class SlackClient {
  private readonly webhookUrl: string;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private queue: Promise<void> = Promise.resolve();
  posted = 0;
  failed = 0;
  /** Slack's connections, opened at the first message: most processes never post one. */
  private dispatcher: Agent | null = null;

  constructor(webhookUrl: string, logger: Logger, timeoutMs = 10_000) {
    this.webhookUrl = webhookUrl;
    this.logger = logger;
    this.timeoutMs = timeoutMs;
  }

  private agent(): Agent {
    this.dispatcher ??= newAgent(this.timeoutMs);
    return this.dispatcher;
  }

  /** Queues a message and returns at once; `idle()` waits for the queue (tests, shutdown). */
  post(message: SlackMessage): void {
    this.queue = this.queue.then(() => this.deliver(message)).catch(() => {});
  }

  idle(): Promise<void> {
    return this.queue;
  }

  private async deliver(message: SlackMessage, attempt = 1): Promise<void> {
    try {
      const answer = await exchange(this.agent(), this.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(message),
        signal: AbortSignal.timeout(this.timeoutMs),
        peer: "Slack",
        errorClass: ExporterError,
        // Slack answers "ok" or a short error code; only the start of anything longer is kept.
        maxBytes: 4096,
        truncate: true,
      });
      if (answer.status === 200) {
        this.posted++;
        return;
      }
      const retryAfter = Number(header(answer, "retry-after"));
      if (answer.status === 429 && attempt === 1 && retryAfter > 0 && retryAfter <= 60) {
        await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
        return this.deliver(message, 2);
      }
      this.failed++;
      this.logger.warn(
        `Slack refused the message (${answer.status} ${mask(answer.body.slice(0, 60))})`,
      );
    } catch (error) {
      this.failed++;
      const reason = error instanceof AbortedError ? "timed out" : describe(error);
      this.logger.warn(`Slack could not be reached: ${mask(reason)}`);
    }
  }
}
