// A Slack incoming webhook (contracts.md §8): 200 "ok" for a JSON body with text or blocks, 400
// invalid_payload otherwise, and on demand the errors Slack answers: 403, 404, 410, 429 with
// Retry-After.

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

export class SlackFake {
  readonly faults = new Faults<SlackFault>();
  readonly messages: { text?: string; blocks?: unknown[] }[] = [];
  readonly answers: number[] = [];
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
