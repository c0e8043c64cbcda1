// `verify` over a drained backlog in a fake cluster, with 0.1 % of the documents removed behind the
// sink's back: the events verified per second with the tenant's bucket out of the way (what the
// lookups cost), then under the Enterprise production bucket at the default AUTH0_RATE_LIMIT_SHARE
// (50 %): the share of what the bucket allowed over the verification that it used, and the 429s.
// Every run checks that exactly the removed documents are reported missing.

import { startSearch } from "../../simulator/search/index.ts";
import { DEFAULT_SHARE } from "../../src/auth0/pacer.ts";
import { measure } from "../measure.ts";
import {
  elasticsearchSink,
  exporterEnv,
  perSecond,
  type ScenarioOptions,
  world,
} from "../world.ts";

export const name = "verify";

const TARGET = "logs-auth0.export-default";
const BUCKET = { plan: "Enterprise production (burst 50, 16/s)", burst: 50, perSecond: 16 };

export async function run({ quick, log }: ScenarioOptions): Promise<unknown> {
  const events = quick ? 20_000 : 100_000;
  const w = await world(events);
  const search = await startSearch({ keepDocuments: false, skipMapping: true });
  try {
    const env = exporterEnv(w.tenant.url, elasticsearchSink(search.url));
    const exported = await measure("bin", ["once"], env);
    if (exported.code !== 0) throw new Error(`export failed: ${exported.stderr.slice(-500)}`);
    const ids = w.tenant.eventIds();
    const removed = ids.filter((_, i) => i % 1000 === 500).sort();
    search.removeDocuments(TARGET, removed);
    const verifyOnce = async () => {
      const before = w.tenant.stats.logRequestTimes.length;
      const rateLimitedBefore = w.tenant.stats.rateLimited;
      const run = await measure("bin", ["verify", "--since", "7h", "--json"], env);
      if (run.code !== 1) throw new Error(`verify answered ${run.code}: ${run.stderr.slice(-500)}`);
      const found = JSON.parse(run.stdout) as { missing: string[]; totals: { atAuth0: number } };
      if (found.totals.atAuth0 !== events || found.missing.join() !== removed.join()) {
        throw new Error(
          `verify found ${found.missing.length} missing of ${found.totals.atAuth0} events; ${removed.length} were removed`,
        );
      }
      const times = w.tenant.stats.logRequestTimes.slice(before);
      return {
        run,
        requests: times.length,
        seconds: ((times.at(-1) as number) - (times[0] as number)) / 1000,
        rateLimited: w.tenant.stats.rateLimited - rateLimitedBefore,
      };
    };
    const free = await verifyOnce();
    w.tenant.setRateLimit({ burst: BUCKET.burst, perSecond: BUCKET.perSecond });
    const paced = await verifyOnce();
    const granted = paced.requests - paced.rateLimited;
    const allowed = BUCKET.burst + BUCKET.perSecond * paced.seconds;
    const result = {
      events,
      missing: removed.length,
      eventsPerSecond: perSecond(events, free.run.wallMs),
      cpuMsPer1000: (free.run.cpuMs / events) * 1000,
      peakRssMb: free.run.maxRssMb,
      plan: BUCKET.plan,
      share: DEFAULT_SHARE,
      pacedEventsPerSecond: perSecond(events, paced.run.wallMs),
      pacedSeconds: paced.seconds,
      requests: paced.requests,
      rateLimited: paced.rateLimited,
      shareOfAllowance: Math.min(1, granted / allowed),
    };
    log(
      `verify ${events} events: ${result.eventsPerSecond}/s unthrottled (${result.peakRssMb} MB peak); under ${BUCKET.plan} at ${DEFAULT_SHARE * 100}%: ${result.pacedEventsPerSecond}/s, ${(result.shareOfAllowance * 100).toFixed(1)}% of the allowance, ${result.rateLimited} x 429`,
    );
    return result;
  } finally {
    await search.close();
    await w.close();
  }
}
