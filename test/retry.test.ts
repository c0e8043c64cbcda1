import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AbortedError, ExporterError } from "../src/errors.ts";
import { statusVerdict } from "../src/util/http.ts";
import { backoffDelay, newBudget, withRetry } from "../src/util/retry.ts";

const retryable = (message = "transient") => new ExporterError(message, { retryable: true });

describe("shared retry", () => {
  it("backs off exponentially with jitter, capped", () => {
    assert.equal(
      backoffDelay(1, 100, 1000, () => 0),
      50,
    );
    assert.equal(
      backoffDelay(1, 100, 1000, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(3, 100, 1000, () => 1),
      400,
    );
    assert.equal(
      backoffDelay(10, 100, 1000, () => 1),
      1000,
    );
  });

  it("retries retryable errors until the operation succeeds", async () => {
    let calls = 0;
    const seen: number[] = [];
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw retryable();
        return "done";
      },
      { budget: newBudget(10_000), baseMs: 1, onRetry: ({ attempt }) => seen.push(attempt) },
    );
    assert.equal(result, "done");
    assert.deepEqual(seen, [1, 2]);
  });

  it("does not retry errors that are not retryable", async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(
        async () => {
          calls++;
          throw new ExporterError("bad credentials", { retryable: false });
        },
        { budget: newBudget(10_000), baseMs: 1 },
      ),
      /bad credentials/,
    );
    assert.equal(calls, 1);
  });

  it("fails, naming the last error, when the time budget is spent", async () => {
    const budget = newBudget(20);
    await assert.rejects(
      withRetry(
        async () => {
          throw retryable("Logstash answered 503");
        },
        { budget, baseMs: 8, capMs: 8 },
      ),
      (error: ExporterError) => {
        assert.match(
          error.message,
          /gave up after retrying .*RETRY_MAX_TIME.*Logstash answered 503/,
        );
        assert.equal(error.retryable, false);
        return true;
      },
    );
    assert.ok(budget.spentMs <= 20);
  });

  it("waits until the instant a rate limit names", async () => {
    let now = 1_000;
    const delays: number[] = [];
    let calls = 0;
    await withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new ExporterError("429", { retryable: true, retryAt: now + 30 });
      },
      {
        budget: newBudget(10_000),
        now: () => now,
        random: () => 0,
        onRetry: ({ delayMs }) => {
          delays.push(delayMs);
          now += delayMs;
        },
      },
    );
    assert.deepEqual(delays, [30]);
  });

  it("stops at once when aborted", async () => {
    const controller = new AbortController();
    const pending = withRetry(
      async () => {
        throw retryable();
      },
      { budget: newBudget(60_000), baseMs: 10_000, signal: controller.signal },
    );
    controller.abort();
    await assert.rejects(pending, AbortedError);
  });
});

describe("one HTTP status verdict for every peer", () => {
  const at = (status: number, headers: Record<string, string> = {}) => ({ status, headers });

  it("2xx is ok (200 alone where asked), 429/408/5xx retry, 401/403 credentials, anything else refused", () => {
    assert.deepEqual(statusVerdict(at(204)), { kind: "ok" });
    assert.deepEqual(statusVerdict(at(204), { only200: true }), { kind: "refused" });
    assert.deepEqual(statusVerdict(at(429)), { kind: "retry", rateLimited: true });
    for (const status of [408, 500, 502, 503, 504]) {
      assert.deepEqual(statusVerdict(at(status)), { kind: "retry", rateLimited: false });
    }
    for (const status of [401, 403])
      assert.deepEqual(statusVerdict(at(status)), { kind: "credentials" });
    for (const status of [400, 404, 409, 413])
      assert.deepEqual(statusVerdict(at(status)), { kind: "refused" });
  });

  it("a 429's wait is read from the headers the peer is known by, in their order, and only those", () => {
    const headers = { "retry-after": "7", "x-ratelimit-reset": "2000000000" };
    const before = Date.now();
    const both = statusVerdict(at(429, headers), {
      waitFrom: ["retry-after", "x-ratelimit-reset"],
    });
    assert.ok(both.kind === "retry" && (both.retryAt ?? 0) >= before + 7000);
    const reset = statusVerdict(at(429, headers), { waitFrom: ["x-ratelimit-reset"] });
    assert.deepEqual(reset, { kind: "retry", rateLimited: true, retryAt: 2_000_000_000_000 });
    const unusable = statusVerdict(at(429, { "retry-after": "soon" }), {
      waitFrom: ["retry-after"],
    });
    assert.deepEqual(unusable, { kind: "retry", rateLimited: true });
    assert.deepEqual(statusVerdict(at(503, headers), { waitFrom: ["retry-after"] }), {
      kind: "retry",
      rateLimited: false,
    });
  });
});
