// One execution as the runner makes it, in-process and silent, for tests of what an execution does
// with its store, source and sink: the rest (batcher, logger, stats, budget) as any job has it.

import { makeBatcher } from "../../src/pipeline/batch.ts";
import { type ExecutionDeps, runExecution } from "../../src/runner/execution.ts";
import { newStats } from "../../src/runner/once.ts";
import { createLogger } from "../../src/util/logger.ts";
import { newBudget } from "../../src/util/retry.ts";

/** Checkpoints never count as old or stale unless a test says so. */
const FOREVER = 86_400_000 * 365 * 50;

export function quietExecution(
  parts: Pick<ExecutionDeps, "store" | "source" | "sink"> &
    Partial<Omit<ExecutionDeps, "settings">> & { settings?: Partial<ExecutionDeps["settings"]> },
) {
  const { settings, ...rest } = parts;
  return runExecution({
    batcher: makeBatcher({
      logTypes: undefined,
      logLevel: undefined,
      documentFormat: "extension",
      keepId: false,
      ecs: { dataset: "d", namespace: "n" },
    }),
    logger: createLogger({ level: "silent", human: false }),
    stats: newStats(),
    budget: newBudget(0),
    trigger: "manual",
    fence: null,
    ...rest,
    settings: {
      startFrom: undefined,
      initialLookbackMs: 0,
      auth0LogRetentionMs: FOREVER,
      staleAfterMs: FOREVER,
      ...settings,
    },
  });
}
