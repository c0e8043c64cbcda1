// Which tenants `setup` prepares together, and which would undo each other's setup: without the
// cluster client, since the settings are validated with these before anything is contacted.

import type { DocumentFormat } from "../../interfaces.ts";
import { redactUrl } from "../../util/secrets.ts";
import type { SetupTarget } from "../module.ts";
import type { ElasticsearchConfig } from "./config.ts";
import { setupName } from "./names.ts";

/** Tenants writing to one target on one cluster with one format are prepared once. */
export function setupKey(target: SetupTarget<ElasticsearchConfig>): string {
  return JSON.stringify([target.sink.urls, target.sink.index, target.documentFormat]);
}

/**
 * Tenants whose targets on one cluster share what setup installs (setupName: the same data
 * stream dataset, or index) but would install it differently (format, retention, kind): each
 * would overwrite the other's at every setup and every start. Refused, naming what to change.
 */
export function setupConflicts(
  targets: { tenant: string; sink: ElasticsearchConfig; format: DocumentFormat }[],
): string[] {
  const groups = new Map<string, typeof targets>();
  for (const target of targets) {
    const key = `${target.sink.urls.join(",")}\n${setupName(target.sink)}`;
    groups.set(key, [...(groups.get(key) ?? []), target]);
  }
  const problems: string[] = [];
  for (const same of groups.values()) {
    const shape = (t: (typeof targets)[number]) =>
      JSON.stringify([t.format, t.sink.retentionDays, t.sink.dataStream !== null]);
    if (new Set(same.map(shape)).size < 2) continue;
    const first = same[0] as (typeof targets)[number];
    problems.push(
      `tenants ${same.map((t) => t.tenant).join(", ")}: write to one family of names on ${first.sink.urls.map(redactUrl).join(", ")} (the template ${setupName(first.sink)}) with different DOCUMENT_FORMAT, ELASTICSEARCH_RETENTION or kind of target; one template serves them all: give them the same, or each its own data stream dataset (ELASTICSEARCH_INDEX=logs-auth0.<name>-default)`,
    );
  }
  return problems;
}
