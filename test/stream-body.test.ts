// The body of an Auth0 Log Streams delivery (src/intake/stream-body.ts), as the stream's contract
// says it comes: JSON lines, a JSON array or {"logs": [...]}, under any Content-Type; each element
// {"log_id", "data"}. A malformed body is refused whole, naming where; an element that is not a
// valid event is refused alone, with the reason; every bound is checked before parsing.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseStreamBody, StreamBodyError } from "../src/intake/stream-body.ts";

const NOW = Date.parse("2026-12-08T12:00:00Z");
const id = (n: number, time = "20261208115900") => `900${time}${String(n).padStart(39, "0")}`;
const element = (n: number) => ({
  log_id: id(n),
  data: { log_id: id(n), type: "s", date: "2026-12-08T11:59:00.000Z", user_name: `u${n}` },
});
const three = [element(1), element(2), element(3)];

function refusal(run: () => unknown): StreamBodyError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof StreamBodyError, `not a StreamBodyError: ${error}`);
    return error;
  }
  assert.fail("the body was accepted");
}

describe("a Log Streams body", () => {
  it("reads each of the three formats into the same events", () => {
    const bodies = {
      lines: three.map((e) => JSON.stringify(e)).join("\n"),
      array: JSON.stringify(three),
      object: JSON.stringify({ logs: three }),
    };
    for (const [format, text] of Object.entries(bodies)) {
      const body = parseStreamBody(text, NOW);
      assert.equal(body.format, format);
      assert.deepEqual(body.refused, []);
      assert.deepEqual(
        body.events.map((e) => [e.index, e.event.log_id, e.event.user_name]),
        [
          [0, id(1), "u1"],
          [1, id(2), "u2"],
          [2, id(3), "u3"],
        ],
      );
    }
  });

  it("takes CRLF lines, blank lines, one element alone and a pretty-printed object", () => {
    const lines = `${JSON.stringify(element(1))}\r\n\r\n${JSON.stringify(element(2))}\r\n`;
    assert.equal(parseStreamBody(lines, NOW).events.length, 2);
    assert.equal(parseStreamBody(JSON.stringify(element(1)), NOW).events.length, 1);
    const pretty = JSON.stringify({ logs: three }, null, 2);
    assert.equal(parseStreamBody(pretty, NOW).format, "object");
  });

  it("gives an event its element's log_id when its data has none", () => {
    const text = JSON.stringify([{ log_id: id(1), data: { type: "f" } }]);
    assert.equal(parseStreamBody(text, NOW).events[0]?.event.log_id, id(1));
  });

  it("refuses an element alone, with the reason, and keeps it as it came", () => {
    const bad = [
      element(1),
      { log_id: id(2), data: { log_id: id(3), type: "s" } },
      { log_id: `900${"9999123123595"}9${"0".repeat(39)}`, data: {} },
      { log_id: id(4, "20261308000000"), data: {} },
      { log_id: "<script>", data: {} },
      { log_id: id(5) },
      "just text",
      element(6),
    ];
    const body = parseStreamBody(JSON.stringify(bad), NOW);
    assert.deepEqual(
      body.events.map((e) => e.index),
      [0, 7],
    );
    const reasons = body.refused.map((r) => [r.index, r.reason]);
    assert.match(String(reasons[0]?.[1]), /differs from its data\.log_id/);
    assert.match(String(reasons[1]?.[1]), /in the future/);
    assert.match(String(reasons[2]?.[1]), /not a valid time/);
    assert.match(String(reasons[3]?.[1]), /^log_id "<script>": not an Auth0 log id/);
    assert.match(String(reasons[4]?.[1]), /"data" is not an object/);
    assert.match(String(reasons[5]?.[1]), /^not an object/);
    assert.deepEqual(body.refused[5]?.element, "just text");
    assert.equal(body.refused[0]?.logId, id(2));
  });

  it("refuses a malformed body whole with 400, naming the line or the character", () => {
    const lines = `${JSON.stringify(element(1))}\n{"log_id": "x", data}\n`;
    const error = refusal(() => parseStreamBody(lines, NOW));
    assert.equal(error.status, 400);
    assert.match(error.message, /^line 2 of the body is not valid JSON/);
    const array = refusal(() => parseStreamBody('[{"log_id": 1} {"log_id": 2}]', NOW));
    assert.equal(array.status, 400);
    assert.match(array.message, /^the body is not valid JSON \(at character \d+\)/);
    assert.equal(refusal(() => parseStreamBody("", NOW)).status, 400);
    assert.equal(refusal(() => parseStreamBody("ok", NOW)).status, 400);
    assert.match(refusal(() => parseStreamBody('{"logs": 5}', NOW)).message, /not an array/);
  });

  it("counts nesting, values and elements before parsing: 413", () => {
    const limits = { maxElements: 2, maxDepth: 8, maxValues: 1_000 };
    const deep = `[${"[".repeat(50)}${"]".repeat(50)}]`;
    assert.equal(refusal(() => parseStreamBody(deep, NOW, limits)).status, 413);
    const many = `[${"[],".repeat(2_000)}[]]`;
    assert.match(
      refusal(() => parseStreamBody(many, NOW, limits)).message,
      /more than 1000 values/,
    );
    const lines = three.map((e) => JSON.stringify(e)).join("\n");
    assert.match(
      refusal(() => parseStreamBody(lines, NOW, limits)).message,
      /more than 2 elements/,
    );
    const array = JSON.stringify(three);
    assert.equal(refusal(() => parseStreamBody(array, NOW, limits)).status, 413);
  });
});
