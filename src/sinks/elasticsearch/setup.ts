// `setup`: installs, idempotently, what the target needs (component templates, the index template,
// the lifecycle policy), each only when missing or older than ours (by `_meta.version`), and tells
// what is missing without changing anything (`check`, and clusters where the exporter's user may
// not manage templates). On OpenSearch it also attaches the ISM policy to the target's indices
// made before it: ISM attaches policies only to indices created after them.

import { createHash } from "node:crypto";
import { SinkError } from "../../errors.ts";
import { parseBoundedJson } from "../../util/bounded-json.ts";
import type { HttpAnswer } from "../../util/http.ts";
import type { ElasticsearchConfig } from "./config.ts";
import { setupName } from "./names.ts";
import type { ClusterProduct } from "./product.ts";
import { ClusterClient, errorReason } from "./service.ts";
import { attachPolicy, type TargetState, targetState, unmanagedIndices } from "./target.ts";
import { type SetupPlan, setupPlan, type TemplateFormat } from "./templates.ts";

export { SETUP_NAME, setupName } from "./names.ts";

/** unavailable: the cluster has no API for it (OpenSearch without the ISM plugin). */
export type ItemState = "ok" | "missing" | "outdated" | "unavailable";

export interface SetupItem {
  kind: "component template" | "index template" | "ILM policy" | "ISM policy";
  name: string;
  path: string;
  /** What is PUT: the plan's body with its fingerprint. */
  body: Record<string, unknown>;
  hash: string;
  state: ItemState;
  /** OpenSearch updates a policy only with the sequence numbers it was read at. */
  seqNo?: number;
  primaryTerm?: number;
}

export function planFor(
  config: Pick<ElasticsearchConfig, "index" | "dataStream" | "retentionDays">,
  product: ClusterProduct,
  format: TemplateFormat,
): SetupPlan {
  return setupPlan({
    product: product.product,
    serverless: product.serverless,
    format,
    target: config.index,
    dataStream: config.dataStream !== null,
    retentionDays: config.retentionDays,
    name: setupName(config),
  });
}

/**
 * A fingerprint of what we install, kept in the installed item (`_meta.hash`; in the description
 * for ISM, which has no _meta): an item is current when its fingerprint is ours, so a new
 * version, another retention or another document format each update it, and nothing else does.
 */
function fingerprint(body: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify(body)).digest("hex").slice(0, 16);
}

function withFingerprint(kind: SetupItem["kind"], body: Record<string, unknown>) {
  const hash = fingerprint(body);
  if (kind === "ISM policy") {
    const policy = body.policy as Record<string, unknown>;
    return {
      hash,
      body: { policy: { ...policy, description: `${policy.description} [${hash}]` } },
    };
  }
  if (kind === "ILM policy") {
    const policy = body.policy as { _meta?: Record<string, unknown> };
    return { hash, body: { policy: { ...policy, _meta: { ...policy._meta, hash } } } };
  }
  return { hash, body: { ...body, _meta: { ...(body._meta as object), hash } } };
}

function fingerprintIn(installed: unknown): string | undefined {
  const item = installed as { _meta?: { hash?: unknown }; description?: unknown } | undefined;
  if (typeof item?._meta?.hash === "string") return item._meta.hash;
  const described =
    typeof item?.description === "string" ? /\[([0-9a-f]{16})\]$/.exec(item.description) : null;
  return described?.[1];
}

function parse(answer: HttpAnswer): Record<string, unknown> {
  return parseBoundedJson(answer.body, 64) as Record<string, unknown>;
}

/** The installed body of each item, read back, and whether it is ours and current. */
async function inspect(
  client: ClusterClient,
  item: PlannedItem,
  signal?: AbortSignal,
): Promise<SetupItem> {
  const answer = await client.request({ method: "GET", path: item.path, signal });
  if (answer.status === 404) return { ...item, state: "missing" };
  // OpenSearch without the index-management plugin (its minimal distribution, a cluster built
  // without it) has no ISM API at all: every path under it answers 400 "no handler found".
  if (
    item.kind === "ISM policy" &&
    answer.status === 400 &&
    /^no handler found for uri/.test(errorReason(answer.body))
  ) {
    return { ...item, state: "unavailable" };
  }
  ClusterClient.judge(answer, `GET ${item.path}`);
  const body = parse(answer);
  let installed: unknown;
  let seq: Pick<SetupItem, "seqNo" | "primaryTerm"> = {};
  if (item.kind === "index template") {
    installed = (body.index_templates as { index_template?: unknown }[] | undefined)?.[0]
      ?.index_template;
  } else if (item.kind === "component template") {
    installed = (body.component_templates as { component_template?: unknown }[] | undefined)?.[0]
      ?.component_template;
  } else if (item.kind === "ILM policy") {
    installed = (body[item.name] as { policy?: unknown } | undefined)?.policy;
  } else {
    installed = body.policy;
    seq = { seqNo: body._seq_no as number, primaryTerm: body._primary_term as number };
  }
  const state = fingerprintIn(installed) === item.hash ? "ok" : "outdated";
  return { ...item, ...seq, state };
}

type PlannedItem = Omit<SetupItem, "state">;

function planned(
  kind: SetupItem["kind"],
  name: string,
  path: string,
  body: Record<string, unknown>,
): PlannedItem {
  return { kind, name, path, ...withFingerprint(kind, body) };
}

function itemsOf(plan: SetupPlan): PlannedItem[] {
  const items = plan.componentTemplates.map((template) =>
    planned(
      "component template",
      template.name,
      `/_component_template/${template.name}`,
      template.body,
    ),
  );
  if (plan.lifecycle) {
    const { kind, name, body } = plan.lifecycle;
    items.push(
      kind === "ilm"
        ? planned("ILM policy", name, `/_ilm/policy/${name}`, body)
        : planned("ISM policy", name, `/_plugins/_ism/policies/${name}`, body),
    );
  }
  const { name, body } = plan.indexTemplate;
  items.push(planned("index template", name, `/_index_template/${name}`, body));
  return items;
}

/** What setup would do: each item and its state; changes nothing. */
export async function inspectSetup(
  client: ClusterClient,
  plan: SetupPlan,
  signal?: AbortSignal,
): Promise<SetupItem[]> {
  const items: SetupItem[] = [];
  for (const item of itemsOf(plan)) items.push(await inspect(client, item, signal));
  return items;
}

/**
 * A template applies when an index is created: a data stream already written to keeps its current
 * backing index's mappings until it rolls over. After a template change, roll it over, so that the
 * next documents (and dead letters re-sent) get the new mappings.
 */
async function rollOver(client: ClusterClient, target: string, signal?: AbortSignal) {
  const stream = await client.request({ method: "GET", path: `/_data_stream/${target}`, signal });
  if (stream.status === 404) return false;
  ClusterClient.judge(stream, `GET /_data_stream/${target}`);
  const answer = await client.request({ method: "POST", path: `/${target}/_rollover`, signal });
  ClusterClient.judge(answer, `POST /${target}/_rollover`);
  return true;
}

/**
 * Installs what is missing or outdated, in dependency order (component templates and the policy
 * before the index template that names them), then rolls the target data stream over when its
 * template changed; returns every item with its state before, and whether it rolled over.
 */
export async function applySetup(
  client: ClusterClient,
  plan: SetupPlan,
  signal?: AbortSignal,
  target?: Pick<ElasticsearchConfig, "index" | "dataStream">,
): Promise<SetupOutcome> {
  const items = await inspectSetup(client, plan, signal);
  for (const item of items) {
    if (item.state === "ok" || item.state === "unavailable") continue;
    let path = item.path;
    if (item.kind === "ISM policy" && item.state === "outdated") {
      path += `?if_seq_no=${item.seqNo}&if_primary_term=${item.primaryTerm}`;
    }
    const answer = await client.request({
      method: "PUT",
      path,
      body: JSON.stringify(item.body),
      signal,
    });
    try {
      ClusterClient.judge(answer, `PUT ${item.path}`);
    } catch (error) {
      if (error instanceof SinkError && error.status === 403) {
        throw new SinkError(
          `the user may not install the ${item.kind} ${item.name} (403): give it manage_index_templates${item.kind.endsWith("policy") ? " and manage_ilm (or the ISM permissions)" : ""}, run setup as a user who may, or set ELASTICSEARCH_SETUP=off`,
          { retryable: false, status: 403 },
        );
      }
      throw error;
    }
  }
  const templateChanged = items.some(
    (item) =>
      (item.state === "missing" || item.state === "outdated") && !item.kind.endsWith("policy"),
  );
  const rolledOver =
    target !== undefined && templateChanged && (await rollOver(client, target.index, signal));
  let state: TargetState | undefined;
  let attached: string[] = [];
  if (target !== undefined) {
    state = await targetState(client, target.index, signal);
    if (plan.lifecycle?.kind === "ism" && lifecycleUnavailable(items) === null) {
      const unmanaged = await unmanagedIndices(client, state, target, signal);
      attached = await attachPolicy(client, unmanaged ?? [], plan.lifecycle.name, signal);
    }
  }
  return { items, rolledOver, attached, state };
}

export interface SetupOutcome {
  /** Every item, with its state before. */
  items: SetupItem[];
  /** The target data stream rolled over, so that new documents get the new mappings. */
  rolledOver: boolean;
  /** Indices the ISM policy was attached to (made before it). */
  attached: string[];
  /** What the target is now (when a target was given). */
  state?: TargetState | undefined;
}

/** The lifecycle policy setup could not install because the cluster has no API for it. */
export function lifecycleUnavailable(items: SetupItem[]): SetupItem | null {
  return items.find((item) => item.state === "unavailable") ?? null;
}

/** What a missing lifecycle API means for the user's data, and the way out. */
export function lifecycleNote(
  config: Pick<ElasticsearchConfig, "index" | "dataStream" | "retentionDays">,
): string {
  const retention =
    config.retentionDays === null
      ? ""
      : ` and ELASTICSEARCH_RETENTION (${config.retentionDays} days) is not applied`;
  const what = config.dataStream ? `${config.index} never rolls over` : "nothing is deleted";
  return `this OpenSearch has no Index State Management plugin (no _plugins/_ism API), so ${what}${retention}: install opensearch-index-management and run setup again, or manage old indices by other means`;
}

export function describeItems(items: SetupItem[]): string {
  return items.map((item) => `${item.kind} ${item.name}: ${item.state}`).join(", ");
}
