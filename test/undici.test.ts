// src/util/undici.ts takes undici's pool, request API and errors from their own files rather than
// its index, to keep the service small. That holds only while they are the very ones the index
// exports: an upgrade of undici that moves them fails here, not in production.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { it } from "node:test";
import * as index from "undici";
import { Agent, errors } from "../src/util/undici.ts";

it("takes from undici's files the Agent and errors its index exports, with the request API", async (t) => {
  assert.equal(Agent, index.Agent);
  for (const name of [
    "HeadersTimeoutError",
    "BodyTimeoutError",
    "ConnectTimeoutError",
    "SocketError",
    "RequestContentLengthMismatchError",
    "ResponseContentLengthMismatchError",
  ] as const) {
    assert.equal(errors[name], index.errors[name], name);
  }
  const server = createServer((_request, response) => response.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const agent = new Agent();
  t.after(() => agent.close());
  const { port } = server.address() as { port: number };
  const answer = await agent.request({
    origin: `http://127.0.0.1:${port}`,
    path: "/",
    method: "GET",
  });
  assert.equal(answer.statusCode, 200);
  assert.equal(await answer.body.text(), "ok");
});
