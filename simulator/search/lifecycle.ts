// Retention policies, which the two products do differently: Elasticsearch's ILM
// (`PUT _ilm/policy/<name>`, phases, answered `{"acknowledged":true}`) and OpenSearch's ISM
// (`PUT _plugins/_ism/policies/<id>`, states, stored as a document: created with 201, and updated
// only with the if_seq_no/if_primary_term it currently has, else 409). An exporter's setup step
// that re-runs must get the ISM dance right, so the fake holds it to it.
// Which indices ISM manages is ism-managed.ts's.

import { fail, type Json } from "./errors.ts";
import { type IsmTemplate, ManagedIndices, type NewIndex, templatesOf } from "./ism-managed.ts";

const ILM_PHASES = ["hot", "warm", "cold", "frozen", "delete"];

interface IlmPolicy {
  version: number;
  modified: string;
  policy: Json;
}

interface IsmPolicy {
  version: number;
  seqNo: number;
  primaryTerm: number;
  policy: Json;
  templates: IsmTemplate[];
}

function object(value: unknown): Json | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

export class Lifecycle {
  readonly ilm = new Map<string, IlmPolicy>();
  readonly ism = new Map<string, IsmPolicy>();
  /** What clients PUT, by name. */
  readonly put = new Map<string, Json>();
  /** The indices ISM manages. */
  readonly managed = new ManagedIndices();
  private seqNo = 0;
  private readonly builtIn: boolean;

  /** `builtIn`: start with the `logs` ILM policy that logs@settings names, as ES 8/9 do. */
  constructor(builtIn: boolean) {
    this.builtIn = builtIn;
    this.reset();
  }

  reset(): void {
    this.ilm.clear();
    this.ism.clear();
    this.put.clear();
    this.managed.reset();
    this.seqNo = 0;
    if (!this.builtIn) return;
    const rollover = { max_age: "30d", max_primary_shard_size: "50gb" };
    const policy = {
      phases: { hot: { min_age: "0ms", actions: { rollover } } },
      _meta: { managed: true },
    };
    this.ilm.set("logs", { version: 1, modified: new Date(0).toISOString(), policy });
  }

  putIlm(name: string, body: unknown): Json {
    const policy = object(object(body)?.policy);
    if (!policy) throw fail(400, "x_content_parse_exception", "[1:2] Required [policy]");
    const phases = object(policy.phases);
    if (!phases)
      throw fail(
        400,
        "x_content_parse_exception",
        "[1:12] [policy] failed to parse field [phases]: Required [phases]",
      );
    for (const [phase, definition] of Object.entries(phases)) {
      if (!ILM_PHASES.includes(phase)) {
        throw fail(
          400,
          "illegal_argument_exception",
          `Timeseries lifecycle does not support phase [${phase}]`,
        );
      }
      if (object(object(definition)?.actions) === undefined) {
        throw fail(
          400,
          "x_content_parse_exception",
          `[1:2] [phase] failed to parse field [actions] in phase [${phase}]`,
        );
      }
    }
    const previous = this.ilm.get(name);
    this.ilm.set(name, {
      version: (previous?.version ?? 0) + 1,
      modified: new Date().toISOString(),
      policy: structuredClone(policy),
    });
    this.put.set(name, structuredClone(body as Json));
    return { acknowledged: true };
  }

  getIlm(name: string | undefined): Json {
    const names = name === undefined ? [...this.ilm.keys()] : name.split(",");
    const out: Json = {};
    for (const one of names) {
      const found = this.ilm.get(one);
      if (!found)
        throw fail(404, "resource_not_found_exception", `Lifecycle policy not found: ${one}`);
      out[one] = {
        version: found.version,
        modified_date: found.modified,
        policy: found.policy,
        in_use_by: { indices: [], data_streams: [], composable_templates: [] },
      };
    }
    return out;
  }

  deleteIlm(name: string): Json {
    if (!this.ilm.delete(name))
      throw fail(404, "resource_not_found_exception", `Lifecycle policy not found: ${name}`);
    this.put.delete(name);
    return { acknowledged: true };
  }

  /** Returns [status, body]: 201 on creation, 200 on an update with the right seq_no. */
  putIsm(id: string, body: unknown, query: URLSearchParams): [number, Json] {
    const policy = object(object(body)?.policy);
    if (!policy) throw fail(400, "illegal_argument_exception", "Required [policy]");
    const states = policy.states;
    if (!Array.isArray(states) || states.length === 0) {
      throw fail(400, "illegal_argument_exception", "Policy must contain at least one State");
    }
    if (
      typeof policy.default_state !== "string" ||
      !states.some((s) => object(s)?.name === policy.default_state)
    ) {
      throw fail(400, "illegal_argument_exception", "Policy must have a valid default state");
    }
    const ifSeqNo = query.get("if_seq_no");
    const ifPrimaryTerm = query.get("if_primary_term");
    const current = this.ism.get(id);
    if (ifSeqNo !== null || ifPrimaryTerm !== null) {
      if (!current) {
        throw fail(
          409,
          "version_conflict_engine_exception",
          `[${id}]: version conflict, required seqNo [${ifSeqNo}], primary term [${ifPrimaryTerm}]. but no document was found`,
        );
      }
      if (Number(ifSeqNo) !== current.seqNo || Number(ifPrimaryTerm) !== current.primaryTerm) {
        throw fail(
          409,
          "version_conflict_engine_exception",
          `[${id}]: version conflict, required seqNo [${ifSeqNo}], primary term [${ifPrimaryTerm}]. current document has seqNo [${current.seqNo}] and primary term [${current.primaryTerm}]`,
        );
      }
    } else if (current) {
      throw fail(
        409,
        "version_conflict_engine_exception",
        `[${id}]: version conflict, document already exists (current version [${current.version}])`,
      );
    }
    const updated = Date.now();
    const templates = templatesOf(policy.ism_template, this.managed.stamp());
    const stored: Json = {
      policy_id: id,
      description: policy.description ?? "",
      last_updated_time: updated,
      schema_version: 21,
      error_notification: policy.error_notification ?? null,
      default_state: policy.default_state,
      states: policy.states,
      ism_template:
        templates.length === 0
          ? null
          : templates.map((t) => ({
              index_patterns: t.patterns,
              priority: t.priority,
              last_updated_time: updated,
            })),
    };
    const entry: IsmPolicy = {
      version: (current?.version ?? 0) + 1,
      seqNo: this.seqNo++,
      primaryTerm: 1,
      policy: stored,
      templates,
    };
    this.ism.set(id, entry);
    this.put.set(id, structuredClone(body as Json));
    const answer = {
      _id: id,
      _version: entry.version,
      _primary_term: entry.primaryTerm,
      _seq_no: entry.seqNo,
      policy: { policy: stored },
    };
    return [current ? 200 : 201, answer];
  }

  getIsm(id: string): Json {
    const found = this.ism.get(id);
    if (!found) throw fail(404, "status_exception", "Policy not found");
    return {
      _id: id,
      _version: found.version,
      _seq_no: found.seqNo,
      _primary_term: found.primaryTerm,
      policy: found.policy,
    };
  }

  deleteIsm(id: string): Json {
    const found = this.ism.get(id);
    if (!found) throw fail(404, "status_exception", "Policy not found");
    this.ism.delete(id);
    this.put.delete(id);
    return {
      _index: ".opendistro-ism-config",
      _id: id,
      _version: found.version + 1,
      result: "deleted",
      forced_refresh: true,
      _shards: { total: 2, successful: 1, failed: 0 },
      _seq_no: this.seqNo++,
      _primary_term: 1,
    };
  }

  /** A new index: attached to the policy whose ism_template matches it best, if any. */
  indexCreated(index: NewIndex): void {
    this.managed.indexCreated(
      index,
      [...this.ism].map(([id, policy]) => [id, policy.templates]),
    );
  }

  /** GET _plugins/_ism/explain/<indices>. */
  explain(indices: { name: string; uuid: string }[]): Json {
    return this.managed.explain(indices);
  }

  /** POST _plugins/_ism/add/<indices> {"policy_id"}: indices already managed are failures. */
  add(indices: { name: string; uuid: string }[], body: unknown): Json {
    const policyId = object(body)?.policy_id;
    if (typeof policyId !== "string") {
      throw fail(400, "illegal_argument_exception", "Missing policy_id");
    }
    // [UNCONFIRMED wording]
    if (!this.ism.has(policyId)) {
      throw fail(404, "status_exception", `Could not find policy=${policyId}`);
    }
    return this.managed.add(indices, policyId);
  }
}
