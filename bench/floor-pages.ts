// What both floors share: the backlog's pages read one after the other by their next links, as
// raw bytes, with one request in flight; each floor sends them on its own way.
// Usage of a floor: node bench/floor.ts TENANT_URL SINK_URL FROM TOKEN

import { Agent, request } from "undici";

export const [tenantUrl, sinkUrl, from, token] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
];

export const agent = new Agent({ keepAliveTimeout: 30_000, connections: 2 });

/** Every page of the backlog but the last, empty one, as the tenant sent it. */
export async function* pages(): AsyncGenerator<Buffer> {
  let url = `${tenantUrl}/api/v2/logs?from=${from}&take=100`;
  for (;;) {
    const response = await request(url, {
      headers: { authorization: `Bearer ${token}` },
      dispatcher: agent,
    });
    const body = Buffer.from(await response.body.arrayBuffer());
    if (response.statusCode !== 200)
      throw new Error(`floor: tenant answered ${response.statusCode}`);
    if (body.length <= 2) return;
    const next = /<([^>]+)>;\s*rel="next"/.exec(String(response.headers.link))?.[1];
    if (!next) throw new Error("floor: no next link");
    yield body;
    url = next;
  }
}

/**
 * Sends each page on as `toRequest` makes it, one request in flight (the next page is read while
 * it is sent), and says how many pages went.
 */
export async function relay(
  toRequest: (page: Buffer) => { url: string; contentType: string; body: string | Buffer },
): Promise<void> {
  let pending: Promise<unknown> = Promise.resolve();
  let count = 0;
  for await (const page of pages()) {
    const { url, contentType, body } = toRequest(page);
    await pending;
    pending = request(url, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
      dispatcher: agent,
    }).then((answer) => answer.body.dump());
    count++;
  }
  await pending;
  await agent.close();
  process.stdout.write(`${JSON.stringify({ pages: count })}\n`);
}
