// `setup` for one target: what the command does with the cluster (loaded only by `setup`: the other
// commands need none of the cluster's modules beyond the sink's).

import type { Logger } from "pino";
import { SinkError } from "../../errors.ts";
import { newBudget, retryFor, withRetry } from "../../util/retry.ts";
import type { SetupTarget } from "../module.ts";
import type { ElasticsearchConfig } from "./config.ts";
import { describeProduct } from "./product.ts";
import { applySetup, inspectSetup, lifecycleNote, lifecycleUnavailable, planFor } from "./setup.ts";
import { ElasticsearchSink } from "./sink.ts";
import { isMisplacedIndex, plainIndexProblem, targetState } from "./target.ts";

export async function prepare(
  settings: SetupTarget<ElasticsearchConfig>,
  dry: boolean,
  logger: Logger,
  write: (text: string) => void,
): Promise<void> {
  const amazonServerless = (product: { serverless: boolean; product: string }) =>
    product.serverless && product.product === "opensearch";
  const sink = new ElasticsearchSink(
    {
      ...settings.sink,
      timeoutMs: settings.requestTimeoutMs,
      format: settings.documentFormat,
    },
    logger,
  );
  const context = {
    budget: newBudget(Math.min(settings.retryMaxTimeMs, 30_000)),
    stats: { retries: { source: 0, sink: 0 }, rateLimited: { source: 0, sink: 0 } },
  };
  try {
    const product = await withRetry(() => sink.detect(), retryFor("sink", context));
    const plan = planFor(settings.sink, product, settings.documentFormat);
    write(
      `${describeProduct(product)} at ${sink.client.shown}; target ${settings.sink.index} (${settings.documentFormat} documents)\n`,
    );
    const target = settings.sink;
    // Every call is retried, so that a busy cluster (429, 503, a reset) is waited for, not fatal.
    const { items, rolledOver, attached, state } = dry
      ? {
          items: await withRetry(() => inspectSetup(sink.client, plan), retryFor("sink", context)),
          rolledOver: false,
          attached: [],
          state: amazonServerless(product)
            ? undefined
            : await withRetry(
                () => targetState(sink.client, target.index),
                retryFor("sink", context),
              ),
        }
      : await withRetry(
          () => applySetup(sink.client, plan, undefined, target),
          retryFor("sink", context),
        );
    const done = {
      ok: "up to date",
      missing: "installed",
      outdated: "updated",
      unavailable: "unavailable",
    } as const;
    for (const item of items) {
      write(
        `${item.kind.padEnd(18)} ${item.name.padEnd(32)} ${dry ? item.state : done[item.state]}\n`,
      );
    }
    if (rolledOver) {
      write(
        `data stream        ${target.index.padEnd(32)} rolled over: new documents get the new mappings\n`,
      );
    }
    for (const index of attached) {
      write(`ISM policy         ${index.padEnd(32)} attached (made before the policy)\n`);
    }
    for (const note of plan.notes) write(`Note: ${note}\n`);
    if (lifecycleUnavailable(items)) write(`Note: ${lifecycleNote(target)}\n`);
    if (state && isMisplacedIndex(target, state)) {
      // The templates are in place, but the target will never use them: not done.
      throw new SinkError(plainIndexProblem(target.index), { retryable: false });
    }
  } finally {
    await sink.close();
  }
}
