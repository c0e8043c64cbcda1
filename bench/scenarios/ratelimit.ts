// The simulator's bucket set to each published Auth0 plan, drained at AUTH0_RATE_LIMIT_SHARE 50 %
// (the default) and 75 %: the share of what the bucket allowed over the drain that the exporter
// used (target: within 5 % of the share), the requests answered 429, and the minutes in which a
// request left the bucket under 20 % (Auth0 writes api_limit_warning for each). One run each.

import { DEFAULT_SHARE } from "../../src/auth0/pacer.ts";
import { exporterOnce, type ScenarioOptions, world } from "../world.ts";

/** The shares measured: the default, and a larger one a tenant with a bucket of its own may set. */
const SHARES = [DEFAULT_SHARE, 0.75];

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
  for (const share of SHARES)
    for (const plan of plans) {
      // Pages for the same time as at the full rate: fewer at a smaller share.
      const pages = Math.max(3, Math.round(plan.pages * share));
      const w = await world(pages * 100 - 1, { burst: plan.burst, perSecond: plan.perSecond });
      await exporterOnce(w, { AUTH0_RATE_LIMIT_SHARE: `${share * 100}%` });
      const times = w.tenant.stats.logRequestTimes;
      const seconds = ((times.at(-1) as number) - (times[0] as number)) / 1000;
      const granted = w.tenant.stats.logRequests - w.tenant.stats.rateLimited;
      // The bucket allows its burst at once, then its rate; the first request is at time 0.
      const allowed = plan.burst + plan.perSecond * seconds;
      rows.push({
        plan: plan.plan,
        share,
        isDefault: share === DEFAULT_SHARE,
        minutesUnder20: w.tenant.logsRateLimit.warningMinutes.size,
        requests: w.tenant.stats.logRequests,
        rateLimited: w.tenant.stats.rateLimited,
        share429: w.tenant.stats.rateLimited / w.tenant.stats.logRequests,
        seconds,
        shareOfAllowance: Math.min(1, granted / allowed),
        eventsPerSecond: Math.round(w.tenant.log.size / seconds),
      });
      await w.close();
      log(
        `rate limit ${plan.plan} at ${share * 100}%: ${(((rows.at(-1)?.shareOfAllowance ?? 0) as number) * 100).toFixed(1)}% of allowance, ${rows.at(-1)?.rateLimited} x 429, ${rows.at(-1)?.minutesUnder20} min under 20%`,
      );
    }
  return rows;
}
