// Which product and version the cluster is (GET /), decided as Logstash does: Elasticsearch 7.14+
// names itself in X-Elastic-Product on every authenticated answer; OpenSearch says
// "distribution": "opensearch" in its version. The sink adapts to it: flattened or flat_object, ILM
// or ISM. Amazon OpenSearch Serverless does not serve GET /, so it is known from the settings.

import { SinkError } from "../../errors.ts";
import type { HttpAnswer } from "../../util/http.ts";
import { ClusterClient, errorReason } from "./service.ts";

export interface ClusterProduct {
  product: "elasticsearch" | "opensearch";
  version: string;
  major: number;
  serverless: boolean;
}

/** The versions this sink is tested against. */
const SUPPORTED = { elasticsearch: [8, 9], opensearch: [2, 3] } as const;

export const SERVERLESS: ClusterProduct = {
  product: "opensearch",
  version: "serverless",
  major: 2,
  serverless: true,
};

/** The product behind a GET / answer, or the reason it is not one we support. */
export function productOf(answer: HttpAnswer): ClusterProduct {
  ClusterClient.judge(answer, "GET /");
  let body: { version?: { number?: unknown; distribution?: unknown }; tagline?: unknown };
  try {
    body = JSON.parse(answer.body);
  } catch {
    throw new SinkError(
      `GET / answered something that is not a cluster: ${errorReason(answer.body)}`,
      {
        retryable: false,
      },
    );
  }
  const version = typeof body.version?.number === "string" ? body.version.number : "";
  const major = Number(version.split(".")[0]);
  const opensearch = body.version?.distribution === "opensearch";
  const elastic = ClusterClient.elasticProduct(answer) === "Elasticsearch";
  if (!opensearch && !elastic) {
    throw new SinkError(
      `the cluster is neither Elasticsearch (no X-Elastic-Product header) nor OpenSearch (version ${version || "unknown"}); this sink supports Elasticsearch 8 and 9 and OpenSearch 2 and 3`,
      { retryable: false },
    );
  }
  const product = opensearch ? "opensearch" : "elasticsearch";
  if (!(SUPPORTED[product] as readonly number[]).includes(major)) {
    const name = opensearch ? "OpenSearch" : "Elasticsearch";
    throw new SinkError(
      `${name} ${version} is not supported: this sink supports Elasticsearch 8 and 9 and OpenSearch 2 and 3`,
      { retryable: false },
    );
  }
  return { product, version, major, serverless: false };
}

export function describeProduct(product: ClusterProduct): string {
  if (product.serverless) return "Amazon OpenSearch Serverless";
  return `${product.product === "opensearch" ? "OpenSearch" : "Elasticsearch"} ${product.version}`;
}
