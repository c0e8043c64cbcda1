// Which product and version the cluster is (GET /), decided as Logstash does: Elasticsearch 7.14+
// names itself in X-Elastic-Product on every authenticated answer; OpenSearch says
// "distribution": "opensearch" in its version. The sink adapts to it: flattened or flat_object, ILM
// or ISM. Amazon OpenSearch Serverless does not serve GET /, so it is known from the settings.
//
// Two answers need more: Elastic Cloud Serverless says build_flavor "serverless" (its version is
// not the deployed one, and it has no ILM: its data streams use the data stream lifecycle), and
// OpenSearch in compatibility mode (Amazon's override_main_response_version, on by default for
// domains upgraded from Elasticsearch) says 7.10.2 with no distribution: its real version is
// read from the nodes info API, which the mode does not override.

import { SinkError } from "../../errors.ts";
import { parseBoundedJson } from "../../util/bounded-json.ts";
import type { HttpAnswer } from "../../util/http.ts";
import { ClusterClient, errorReason } from "./service.ts";

export interface ClusterProduct {
  product: "elasticsearch" | "opensearch";
  version: string;
  major: number;
  /** Amazon OpenSearch Serverless (opensearch), or Elastic Cloud Serverless (elasticsearch). */
  serverless: boolean;
  /** OpenSearch answering GET / as Elasticsearch 7.10.2; its version read from _nodes. */
  compatibilityMode?: boolean;
}

/** The versions this sink is tested against. */
const SUPPORTED = { elasticsearch: [8, 9], opensearch: [2, 3] } as const;
const SUPPORTED_TEXT = "this sink supports Elasticsearch 8 and 9 and OpenSearch 2 and 3";

export const SERVERLESS: ClusterProduct = {
  product: "opensearch",
  version: "serverless",
  major: 2,
  serverless: true,
};

const COMPATIBILITY_MODE =
  "the cluster answers GET / as Elasticsearch 7.10.2 without naming its product: an OpenSearch cluster in compatibility mode (Amazon OpenSearch Service: the domain's advanced option override_main_response_version; self-managed: compatibility.override_main_response_version)";
const TURN_IT_OFF =
  "turn compatibility mode off (set it to false), or let the user read the nodes info (cluster:monitor/nodes/info) so that the exporter can tell the real version";

function supported(product: ClusterProduct["product"], version: string): ClusterProduct {
  const major = Number(version.split(".")[0]);
  if (!(SUPPORTED[product] as readonly number[]).includes(major)) {
    const name = product === "opensearch" ? "OpenSearch" : "Elasticsearch";
    throw new SinkError(`${name} ${version} is not supported: ${SUPPORTED_TEXT}`, {
      retryable: false,
    });
  }
  return { product, version, major, serverless: false };
}

/** The product behind a GET / answer; "compatibility mode" when only _nodes can tell. */
function classify(answer: HttpAnswer): ClusterProduct | "compatibility mode" {
  ClusterClient.judge(answer, "GET /");
  let body: {
    version?: { number?: unknown; distribution?: unknown; build_flavor?: unknown };
    tagline?: unknown;
  };
  try {
    body = parseBoundedJson(answer.body, 16) as typeof body;
  } catch {
    throw new SinkError(
      `GET / answered something that is not a cluster: ${errorReason(answer.body)}`,
      { retryable: false },
    );
  }
  const version = typeof body.version?.number === "string" ? body.version.number : "";
  const opensearch = body.version?.distribution === "opensearch";
  const elastic = ClusterClient.elasticProduct(answer) === "Elasticsearch";
  if (elastic && body.version?.build_flavor === "serverless") {
    // Serverless reports 8.11.0, or lately the next minor: not what runs, so not judged.
    const major = Number(version.split(".")[0]);
    return { product: "elasticsearch", version, major: major >= 9 ? 9 : 8, serverless: true };
  }
  if (!opensearch && !elastic) {
    // Elasticsearch 7.10 sends no X-Elastic-Product either; the nodes API tells them apart.
    if (/^7\.10\./.test(version)) return "compatibility mode";
    throw new SinkError(
      `the cluster is neither Elasticsearch (no X-Elastic-Product header) nor OpenSearch (version ${version || "unknown"}); ${SUPPORTED_TEXT}`,
      { retryable: false },
    );
  }
  return supported(opensearch ? "opensearch" : "elasticsearch", version);
}

/** The product behind a GET / answer, or the reason it is not one we support. */
export function productOf(answer: HttpAnswer): ClusterProduct {
  const found = classify(answer);
  if (found === "compatibility mode") {
    throw new SinkError(`${COMPATIBILITY_MODE}: ${TURN_IT_OFF}`, { retryable: false });
  }
  return found;
}

/** GET /, and for a cluster in compatibility mode GET /_nodes/_local for its real version. */
export async function detectProduct(
  client: ClusterClient,
  signal?: AbortSignal,
): Promise<ClusterProduct> {
  const found = classify(await client.request({ method: "GET", path: "/", signal }));
  if (found !== "compatibility mode") return found;
  const answer = await client.request({
    method: "GET",
    path: "/_nodes/_local?filter_path=nodes.*.version",
    signal,
  });
  if (answer.status === 401 || answer.status === 403) {
    throw new SinkError(
      `${COMPATIBILITY_MODE}, and the user may not read its real version (GET /_nodes/_local: ${answer.status} ${errorReason(answer.body)}): ${TURN_IT_OFF}`,
      { retryable: false, status: answer.status },
    );
  }
  ClusterClient.judge(answer, "GET /_nodes/_local");
  const nodes = (
    parseBoundedJson(answer.body, 8) as { nodes?: Record<string, { version?: unknown }> }
  ).nodes;
  const version = Object.values(nodes ?? {})[0]?.version;
  if (typeof version !== "string") {
    throw new SinkError(
      `${COMPATIBILITY_MODE}, and GET /_nodes/_local names no version: ${TURN_IT_OFF}`,
      {
        retryable: false,
      },
    );
  }
  // A real Elasticsearch 7.10 says 7.10 here too: refused as Elasticsearch 7.
  if (version.startsWith("7.")) return supported("elasticsearch", version);
  return { ...supported("opensearch", version), compatibilityMode: true };
}

export function describeProduct(product: ClusterProduct): string {
  if (product.serverless) {
    return product.product === "opensearch"
      ? "Amazon OpenSearch Serverless"
      : "Elastic Cloud Serverless";
  }
  const name = `${product.product === "opensearch" ? "OpenSearch" : "Elasticsearch"} ${product.version}`;
  return product.compatibilityMode ? `${name} (compatibility mode)` : name;
}
