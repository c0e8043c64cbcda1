// The crash suites' loop, shared by the fakes' scenarios (crash.test.ts) and the real node's
// (crash-real-node.test.ts): `once` after `once`, each killed with SIGKILL at a random moment, every
// third the instant the sink has a batch and the exporter has not heard so (between send and
// commit). After each, the checkpoint must not have moved back; a run that caught up before enough
// kills gets more events. Then `once` until caught up, the faults still on.

import assert from "node:assert/strict";
import { spawnCli } from "../helpers/cli.ts";

export interface KillPlan {
  kills: number;
  random: () => number;
  env: Record<string, string>;
  dir: string;
  /** Arms the sink's hook, fired each time it has a batch; undefined disarms it. */
  onDelivered: (hook: (() => void) | undefined) => void;
  /** A kill between send and commit comes at a delivery from the 1st to this one. */
  deliveries: number;
  /** Other kills come after minMs plus up to spanMs; one waiting for a delivery, after waitMs. */
  timing: { minMs: number; spanMs: number; waitMs: number };
  readCheckpoint: () => Promise<string | null>;
  caughtUp: () => boolean | Promise<boolean>;
  moreEvents: () => void;
}

export interface KillFigures {
  kills: number;
  killsBetweenSendAndCommit: number;
  executions: number;
}

export async function killLoop(plan: KillPlan): Promise<KillFigures> {
  const observed: string[] = [];
  const figures: KillFigures = { kills: 0, killsBetweenSendAndCommit: 0, executions: 0 };
  const { random, timing } = plan;
  while (figures.kills < plan.kills) {
    figures.executions++;
    const run = spawnCli(["once"], plan.env, plan.dir);
    const atDelivery = figures.kills % 3 === 0;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      run.child.kill("SIGKILL");
    };
    if (atDelivery) {
      const after = 1 + Math.floor(random() * plan.deliveries);
      let seen = 0;
      plan.onDelivered(() => {
        if (++seen === after) kill();
      });
    }
    const delay = atDelivery ? timing.waitMs : timing.minMs + Math.floor(random() * timing.spanMs);
    const timer = setTimeout(kill, delay);
    const result = await run.done;
    clearTimeout(timer);
    plan.onDelivered(undefined);
    if (killed) {
      figures.kills++;
      if (atDelivery) figures.killsBetweenSendAndCommit++;
    } else {
      assert.ok(
        result.code === 0 || result.code === 1,
        `exit ${result.code}: ${result.stderr.slice(-400)}`,
      );
    }
    const checkpoint = await plan.readCheckpoint();
    if (checkpoint !== null) {
      const previous = observed.at(-1);
      assert.ok(
        previous === undefined || checkpoint >= previous,
        "the checkpoint never moves backwards",
      );
      observed.push(checkpoint);
    }
    // Caught up before enough kills (a fast machine): more events, more chances to kill.
    if (!killed && result.code === 0 && (await plan.caughtUp())) plan.moreEvents();
  }
  for (let attempt = 0; attempt < 10 && !(await plan.caughtUp()); attempt++) {
    await spawnCli(["once"], plan.env, plan.dir).done;
    figures.executions++;
  }
  return figures;
}
