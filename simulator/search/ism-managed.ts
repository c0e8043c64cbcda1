// Which indices OpenSearch's ISM manages, and by which policy. ISM attaches a policy to an index
// only when the index is created, as the index-management plugin's ManagedIndexCoordinator does:
// the name matched against ism_template patterns is the data stream's for a backing index, the
// index's own otherwise, and a hidden index (".name") outside a data stream is never matched;
// among policies whose template existed before the index, the highest priority wins; "-pattern"
// excludes. Indices created before the policy stay unmanaged until POST _plugins/_ism/add.

import { fail, type Json } from "./errors.ts";
import { globMatch } from "./http.ts";

export interface IsmTemplate {
  patterns: string[];
  priority: number;
  /** When it was stored, on ManagedIndices' clock. */
  at: number;
}

/** What ISM needs to know of a new index. */
export interface NewIndex {
  name: string;
  uuid: string;
  dataStream?: string;
  hidden: boolean;
}

function matches(name: string, patterns: string[]): boolean {
  const include = patterns.filter((p) => !p.startsWith("-"));
  const exclude = patterns.filter((p) => p.startsWith("-")).map((p) => p.slice(1));
  return include.some((p) => globMatch(p, name)) && !exclude.some((p) => globMatch(p, name));
}

/** A policy's ism_template (one object or a list), validated as ISMTemplateService does. */
export function templatesOf(value: unknown, at: number): IsmTemplate[] {
  const list = Array.isArray(value) ? value : value ? [value] : [];
  return list.map((entry) => {
    const raw = (entry !== null && typeof entry === "object" ? entry : {}) as Json;
    const patterns = Array.isArray(raw.index_patterns) ? raw.index_patterns.map(String) : [];
    for (const pattern of patterns) {
      if (pattern.startsWith("_") || pattern.includes("#") || pattern.includes(":")) {
        throw fail(
          400,
          "illegal_argument_exception",
          `Validation Failed: 1: index_pattern [${pattern}] is invalid;`,
        );
      }
    }
    return { patterns, priority: typeof raw.priority === "number" ? raw.priority : 0, at };
  });
}

export class ManagedIndices {
  /** By index name: the policy and the index uuid. */
  private readonly managed = new Map<string, { policyId: string; uuid: string }>();
  /**
   * Orders policy updates and index creations: ISM compares the template's last update with
   * the index's creation date; a counter keeps "before" exact where milliseconds could tie.
   */
  private clock = 0;

  reset(): void {
    this.managed.clear();
  }

  /** The time of a policy update, on the same clock as index creations. */
  stamp(): number {
    return ++this.clock;
  }

  /** Index name → policy id. */
  policies(): Map<string, string> {
    return new Map([...this.managed].map(([name, m]) => [name, m.policyId]));
  }

  /** A new index: attached to the policy whose ism_template matches it best, if any. */
  indexCreated(index: NewIndex, policies: [string, IsmTemplate[]][]): void {
    const at = this.stamp();
    const lookup = index.dataStream ?? (index.hidden ? undefined : index.name);
    if (lookup === undefined) return;
    let best: { id: string; priority: number } | undefined;
    for (const [id, templates] of policies) {
      for (const template of templates) {
        if (template.at >= at || !matches(lookup, template.patterns)) continue;
        if (!best || template.priority >= best.priority) best = { id, priority: template.priority };
      }
    }
    if (best) this.managed.set(index.name, { policyId: best.id, uuid: index.uuid });
  }

  /** GET _plugins/_ism/explain/<indices>: each index's policy, or nulls when unmanaged. */
  explain(indices: { name: string; uuid: string }[]): Json {
    const out: Json = {};
    let total = 0;
    for (const index of indices) {
      const found = this.managed.get(index.name);
      if (found) total++;
      out[index.name] = found
        ? {
            "index.plugins.index_state_management.policy_id": found.policyId,
            "index.opendistro.index_state_management.policy_id": found.policyId,
            index: index.name,
            index_uuid: index.uuid,
            policy_id: found.policyId,
            enabled: true,
          }
        : {
            "index.plugins.index_state_management.policy_id": null,
            "index.opendistro.index_state_management.policy_id": null,
            enabled: null,
          };
    }
    return { ...out, total_managed_indices: total };
  }

  /** POST _plugins/_ism/add: attaches the policy; indices already managed are failures. */
  add(indices: { name: string; uuid: string }[], policyId: string): Json {
    const failed: Json[] = [];
    let updated = 0;
    for (const index of indices) {
      if (this.managed.has(index.name)) {
        failed.push({
          index_name: index.name,
          index_uuid: index.uuid,
          reason:
            "This index already has a policy, use the update policy API to update index policies",
        });
        continue;
      }
      this.managed.set(index.name, { policyId, uuid: index.uuid });
      updated++;
    }
    return { updated_indices: updated, failures: failed.length > 0, failed_indices: failed };
  }
}
