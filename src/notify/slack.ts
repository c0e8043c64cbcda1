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

/**
 * Slack's escaping (contracts.md §8): &, < and > are its control characters (`<!channel>`,
 * `<url|label>`, `<@U…>`), so text that is not our markup has them as entities, and nothing else.
 *
 * mrkdwn's formatting characters (* _ ~ `) in quoted text are left as they are, on purpose: they
 * can only restyle the text they surround (a bold word, a struck line), never ping anyone, link
 * anywhere or hide where a link goes (a leading > for a quote is escaped with the rest). Defusing
 * them would cost more than it saves: mrkdwn has no escape character (a backslash shows as
 * itself), a code span around quoted text ends at the first backtick that text holds, and
 * zero-width or look-alike characters would change the text operators copy from an alert to
 * search their logs for.
 */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * Text in Slack's mrkdwn, made only by `md`: its template is our own markup (bold labels, code
 * spans, and links should we add any), and every value put into it is text from elsewhere, masked
 * and escaped. A message's parts are `string | Mrkdwn`: a plain string is text, never markup, so
 * an error or warning quoting an upstream answer or an event cannot become a ping or a link.
 */
export class Mrkdwn {
  readonly source: string;
  private constructor(source: string) {
    this.source = source;
  }

  static template(strings: TemplateStringsArray, values: (string | Mrkdwn)[]): Mrkdwn {
    let source = strings[0] ?? "";
    values.forEach((value, i) => {
      source += mrkdwn(value) + (strings[i + 1] ?? "");
    });
    return new Mrkdwn(source);
  }
}

/** Our markup with values in it: md`*${label}*` bolds the label, whatever characters it holds. */
export function md(strings: TemplateStringsArray, ...values: (string | Mrkdwn)[]): Mrkdwn {
  return Mrkdwn.template(strings, values);
}

/**
 * The one place a message's text becomes mrkdwn: our markup as it is, anything else masked (a
 * secret is matched as it was sent, before escaping changes its & < >) and escaped.
 */
export function mrkdwn(text: string | Mrkdwn): string {
  return text instanceof Mrkdwn ? text.source : escapeMrkdwn(mask(text));
}

/** Block Kit's limits (characters): a section's text, a field's, a header's. */
const SECTION_TEXT_MAX = 3000;
const FIELD_TEXT_MAX = 2000;
const HEADER_TEXT_MAX = 150;

/** At most `max` characters of mrkdwn, never ending inside an entity that escaping made. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1).replace(/&[a-z]{0,3}$/, "")}…`;
}

export interface Field {
  label: string;
  value: string | Mrkdwn;
}

/**
 * Block Kit layout: a header, a line of text, fields; `text` stays the fallback that
 * notifications show. `verbatim` stops Slack's own parsing of the mrkdwn (bare URLs, channel
 * names and mentions made into links), which would otherwise act on text we escaped.
 */
export function layout(title: string, text: string | Mrkdwn, fields: Field[]): SlackMessage {
  const body = mrkdwn(text);
  const items = fields.map((f) => ({ label: mrkdwn(f.label), value: mrkdwn(f.value) }));
  const safeFields = items.map((f) => ({
    type: "mrkdwn",
    text: clip(`*${f.label}*\n${f.value}`, FIELD_TEXT_MAX),
    verbatim: true,
  }));
  const heading = clip(mrkdwn(title), HEADER_TEXT_MAX);
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: heading } },
    {
      type: "section",
      text: { type: "mrkdwn", text: clip(body, SECTION_TEXT_MAX), verbatim: true },
    },
  ];
  for (let i = 0; i < safeFields.length; i += 10) {
    blocks.push({ type: "section", fields: safeFields.slice(i, i + 10) });
  }
  const fallback = [mrkdwn(title), body, ...items.map((f) => `${f.label}: ${f.value}`)].join("\n");
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
