// `check` for the Elasticsearch/OpenSearch sink: what the cluster is, whether setup's templates
// and policy are installed, what the target is (a plain index where a data stream should be is a
// failure: the template never applies to it), and what the user may do. What cannot be verified
// for lack of a privilege is said as a warning naming the privilege and who can do it, not a
// failure: with ELASTICSEARCH_SETUP=off the exporter's user is expected to lack them.

import { SinkError } from "../../errors.ts";
import type { SendContext } from "../../interfaces.ts";
import { retryFor, withRetry } from "../../util/retry.ts";
import type { ElasticsearchConfig } from "./config.ts";
import { type ClusterProduct, describeProduct } from "./product.ts";
import type { ClusterClient } from "./service.ts";
import {
  describeItems,
  inspectSetup,
  lifecycleNote,
  lifecycleUnavailable,
  planFor,
  type SetupItem,
} from "./setup.ts";
import {
  isMisplacedIndex,
  plainIndexProblem,
  privileges,
  type TargetState,
  targetState,
  unmanagedIndices,
} from "./target.ts";
import type { TemplateFormat } from "./templates.ts";

export interface Diagnosis {
  detail: string;
  warnings: string[];
}

type Config = ElasticsearchConfig & { format: TemplateFormat };

function managePrivileges(product: ClusterProduct): string {
  return product.product === "opensearch"
    ? "the index template and ISM policy permissions (indices:admin/index_template/*, cluster:admin/opendistro/ism/*)"
    : "manage_index_templates and manage_ilm";
}

/** The items setup would install, or null when the user may not read them (403). */
async function setupItems(
  client: ClusterClient,
  config: Config,
  product: ClusterProduct,
  context: SendContext,
  warnings: string[],
): Promise<SetupItem[] | null> {
  const plan = planFor(config, product, config.format);
  try {
    return await withRetry(
      () => inspectSetup(client, plan, context.signal),
      retryFor("sink", context),
    );
  } catch (error) {
    if (!(error instanceof SinkError) || error.status !== 403) throw error;
    const needs = managePrivileges(product);
    if (config.autoSetup) {
      throw new SinkError(
        `ELASTICSEARCH_SETUP=auto, but the user may not read the index template (403; needs ${needs}), so run and once cannot install it: run \`auth0-logs-to-logstash setup\` once with a user who has them, then set ELASTICSEARCH_SETUP=off; or grant them`,
        { retryable: false, status: 403 },
      );
    }
    warnings.push(
      `could not verify the index template and lifecycle policy: the user may not read them (403; needs ${needs}), as expected with ELASTICSEARCH_SETUP=off. Ask the cluster's admin to run \`auth0-logs-to-logstash setup\` (\`setup --dry-run\` shows what it would do) with a user who has ${needs}`,
    );
    return null;
  }
}

function setupText(items: SetupItem[] | null, config: Config): string {
  if (items === null) return "index template not verified";
  const missing = items.filter((item) => item.state === "missing" || item.state === "outdated");
  if (missing.length === 0) {
    return lifecycleUnavailable(items)
      ? "index template installed, no lifecycle policy (no ISM plugin)"
      : "index template and lifecycle installed";
  }
  const how = config.autoSetup
    ? "run and once install them at start"
    : "run setup (ELASTICSEARCH_SETUP=off)";
  return `${describeItems(missing)}: ${how}`;
}

function stateText(state: TargetState | null): string {
  if (state === null || state.kind === "unknown") return "";
  if (state.kind === "absent") return " (not created yet)";
  return ` (a ${state.kind})`;
}

/** The user's write privileges where the cluster can tell them (Elasticsearch). */
async function checkPrivileges(
  client: ClusterClient,
  config: Config,
  product: ClusterProduct,
  state: TargetState | null,
  templatesUnreadable: boolean,
  context: SendContext,
  warnings: string[],
): Promise<void> {
  if (product.product === "opensearch") {
    if (templatesUnreadable) {
      warnings.push(
        `OpenSearch cannot tell a user's write permissions without a write: the first batch will show whether the user may write to ${config.index}`,
      );
    }
    return;
  }
  const granted = await withRetry(
    () => privileges(client, config.index, context.signal),
    retryFor("sink", context),
  );
  if (granted === null) return;
  if (granted.write.includes("create_doc")) {
    throw new SinkError(
      `the user may not write to ${config.index}: it lacks the create_doc index privilege there (_has_privileges); grant create_doc and auto_configure on ${config.index}`,
      { retryable: false, status: 403 },
    );
  }
  if (granted.write.includes("auto_configure") && state?.kind === "absent") {
    warnings.push(
      `the user lacks auto_configure on ${config.index}, which does not exist yet: the first write cannot create it; grant auto_configure, or have the cluster's admin create it after setup (PUT _data_stream/${config.index})`,
    );
  }
}

export async function diagnose(
  client: ClusterClient,
  config: Config,
  detect: () => Promise<ClusterProduct>,
  context: SendContext,
): Promise<Diagnosis> {
  const warnings: string[] = [];
  const retry = retryFor("sink", context);
  const product = await withRetry(detect, retry);
  const items = await setupItems(client, config, product, context, warnings);
  const amazonServerless = product.serverless && product.product === "opensearch";
  let state: TargetState | null = null;
  if (!amazonServerless) {
    state = await withRetry(() => targetState(client, config.index, context.signal), retry);
    if (isMisplacedIndex(config, state)) {
      throw new SinkError(plainIndexProblem(config.index), { retryable: false });
    }
    if (state.kind === "unknown") {
      warnings.push(
        `could not tell whether ${config.index} exists as a data stream or as a plain index (${state.why}); the user needs view_index_metadata on it for check to tell`,
      );
    }
  }
  await checkPrivileges(client, config, product, state, items === null, context, warnings);
  const noLifecycle = items !== null && lifecycleUnavailable(items) !== null;
  if (noLifecycle) warnings.push(lifecycleNote(config));
  if (
    state !== null &&
    !noLifecycle &&
    planFor(config, product, config.format).lifecycle?.kind === "ism"
  ) {
    const unmanaged = await withRetry(
      () => unmanagedIndices(client, state, config, context.signal),
      retry,
    );
    if (unmanaged && unmanaged.length > 0) {
      warnings.push(
        `${unmanaged.length} index(es) of ${config.index} made before the ISM policy are not managed by it (${unmanaged.join(", ")}), so they are never rolled over or deleted: run setup, which attaches the policy to them`,
      );
    }
  }
  const detail = `${describeProduct(product)} at ${client.shown}, writing to ${config.index}${stateText(state)}; ${setupText(items, config)}`;
  return { detail, warnings };
}
