// A Slack incoming webhook (contracts.md §8): 200 "ok" for a JSON body with text or blocks, 400
// invalid_payload otherwise, 400 invalid_blocks for blocks past Block Kit's limits, and on demand
// the errors Slack answers: 403, 404, 410, 429 with Retry-After. `parseMessage` reads a message the
// way Slack does: what it would act on (mentions, links) and the text people would see.

import { createServer } from "node:http";
import { Faults } from "./faults.ts";
import { closeServer, listenOnLoopback } from "./loopback.ts";

export type SlackFault = "403" | "404" | "410" | "429";

const ERRORS: Record<SlackFault, [number, string]> = {
  "403": [403, "action_prohibited"],
  "404": [404, "no_service"],
  "410": [410, "channel_is_archived"],
  "429": [429, "rate_limited"],
};

/** Block Kit's limits, in characters: section text, each field, header; fields a section; blocks. */
const LIMITS = { section: 3000, field: 2000, header: 150, fields: 10, blocks: 50 };

interface TextObject {
  type: "plain_text" | "mrkdwn";
  text: string;
  verbatim?: boolean;
}

function isText(value: unknown): value is TextObject {
  const text = value as TextObject | null;
  return (
    typeof text === "object" &&
    text !== null &&
    (text.type === "plain_text" || text.type === "mrkdwn") &&
    typeof text.text === "string"
  );
}

/** Why Slack would refuse these blocks (invalid_blocks), or null. */
function blocksProblem(blocks: unknown[]): string | null {
  if (blocks.length > LIMITS.blocks) return `more than ${LIMITS.blocks} blocks`;
  for (const block of blocks as { type?: string; text?: unknown; fields?: unknown }[]) {
    const max = block.type === "header" ? LIMITS.header : LIMITS.section;
    if (block.text !== undefined) {
      if (!isText(block.text)) return `${block.type}: text is not a text object`;
      if (block.type === "header" && block.text.type !== "plain_text") {
        return "header: not plain_text";
      }
      if (block.text.text.length < 1 || block.text.text.length > max) {
        return `${block.type}: text of ${block.text.text.length} characters (1 to ${max})`;
      }
    }
    if (block.fields !== undefined) {
      if (!Array.isArray(block.fields) || block.fields.length > LIMITS.fields) {
        return `section: more than ${LIMITS.fields} fields`;
      }
      for (const field of block.fields) {
        if (!isText(field) || field.text.length < 1 || field.text.length > LIMITS.field) {
          return `section: a field is not a text object of 1 to ${LIMITS.field} characters`;
        }
      }
    }
  }
  return null;
}

/** What Slack makes of a message: what it acts on, and what people read. */
export interface ParsedMessage {
  /**
   * Control sequences (`<!channel>`, `<@U1>`, `<https://x|label>`) in the text and in every
   * mrkdwn object, and what Slack's automatic parsing would turn into one in mrkdwn objects
   * without `verbatim` (a bare @channel, @here or @everyone, a bare URL).
   */
  actions: string[];
  /** The fallback text and every text object's, with Slack's three entities decoded. */
  shown: string[];
}

const decoded = (text: string) =>
  text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");

export function parseMessage(message: { text?: string; blocks?: unknown[] }): ParsedMessage {
  const actions: string[] = [];
  const shown: string[] = [];
  const read = (text: string, markup: boolean, automatic: boolean) => {
    shown.push(decoded(text));
    if (!markup) return;
    actions.push(...(text.match(/<[^<>]*>/g) ?? []));
    if (automatic) {
      const bare = text.replace(/<[^<>]*>/g, " ");
      actions.push(...(bare.match(/@(?:channel|here|everyone)\b|\bhttps?:\/\/[^\s]+/g) ?? []));
    }
  };
  if (typeof message.text === "string") read(message.text, true, false);
  const visit = (value: unknown): void => {
    if (typeof value !== "object" || value === null) return;
    if (isText(value)) read(value.text, value.type === "mrkdwn", value.verbatim !== true);
    else for (const inner of Object.values(value)) visit(inner);
  };
  visit(message.blocks ?? []);
  return { actions, shown };
}

export class SlackFake {
  readonly faults = new Faults<SlackFault>();
  readonly messages: { text?: string; blocks?: unknown[] }[] = [];
  readonly answers: number[] = [];
  /** Why each message answered invalid_blocks was refused. */
  readonly refused: string[] = [];
  url = "";
  private readonly server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const reply = (status: number, body: string, headers: Record<string, string> = {}) => {
      this.answers.push(status);
      res.writeHead(status, { "content-type": "text/plain", ...headers });
      res.end(body);
    };
    const fault = this.faults.next();
    if (fault) {
      const [status, body] = ERRORS[fault];
      return reply(status, body, fault === "429" ? { "retry-after": "1" } : {});
    }
    try {
      const message = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      if (!message || (typeof message.text !== "string" && !Array.isArray(message.blocks))) {
        return reply(400, "invalid_payload");
      }
      if (message.blocks !== undefined) {
        const problem = Array.isArray(message.blocks) ? blocksProblem(message.blocks) : "no array";
        if (problem !== null) {
          this.refused.push(problem);
          return reply(400, "invalid_blocks");
        }
      }
      this.messages.push(message);
      reply(200, "ok");
    } catch {
      reply(400, "invalid_payload");
    }
  });

  async listen(): Promise<this> {
    const port = await listenOnLoopback(this.server);
    this.url = `http://127.0.0.1:${port}/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX`;
    return this;
  }

  failNext(kind: SlackFault, count = 1): void {
    this.faults.failNext(kind, count);
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }
}

export async function startSlack(): Promise<SlackFake> {
  return new SlackFake().listen();
}
