// The simulator's bucket set to each published Auth0 plan: the share of what the bucket allowed
// over the drain, and the share of requests answered 429. One run per plan.

import { exporterOnce, type ScenarioOptions, world } from "../world.ts";

export const name = "ratelimit";

/** The Essentials plan's bucket: the tenants scenario gives each of its tenants this one too. */
export const ESSENTIALS = {
  plan: "Essentials/Professional Read Logs (burst 10, 100/min)",
  burst: 10,
  perSecond: 100 / 60,
};

export async function run({ quick, log }: ScenarioOptions): Promise<unknown> {
  // Published Auth0 figures (contracts.md §3); the pages are sized for about 20 s of refill each.
  const plans = [
    { ...ESSENTIALS, pages: quick ? 15 : 45 },
    {
      plan: "Enterprise production (burst 50, 16/s)",
      burst: 50,
      perSecond: 16,
      pages: quick ? 100 : 370,
    },
    {
      plan: "Enterprise non-production (burst 10, 2/s)",
      burst: 10,
      perSecond: 2,
      pages: quick ? 20 : 50,
    },
    { plan: "Free (burst 2, 2/s)", burst: 2, perSecond: 2, pages: quick ? 12 : 42 },
  ];
  const rows = [];
  for (const plan of plans) {
    const w = await world(plan.pages * 100 - 1, { burst: plan.burst, perSecond: plan.perSecond });
    await exporterOnce(w);
    const times = w.tenant.stats.logRequestTimes;
    const seconds = ((times.at(-1) as number) - (times[0] as number)) / 1000;
    const granted = w.tenant.stats.logRequests - w.tenant.stats.rateLimited;
    // The bucket allows its burst at once, then its rate; the first request is at time 0.
    const allowed = plan.burst + plan.perSecond * seconds;
    rows.push({
      plan: plan.plan,
      requests: w.tenant.stats.logRequests,
      rateLimited: w.tenant.stats.rateLimited,
      share429: w.tenant.stats.rateLimited / w.tenant.stats.logRequests,
      seconds,
      shareOfAllowance: Math.min(1, granted / allowed),
      eventsPerSecond: Math.round(w.tenant.log.size / seconds),
    });
    await w.close();
    log(
      `rate limit ${plan.plan}: ${(((rows.at(-1)?.shareOfAllowance ?? 0) as number) * 100).toFixed(1)}% of allowance, ${rows.at(-1)?.rateLimited} x 429`,
    );
  }
  return rows;
}
