// The Elasticsearch/OpenSearch sink's settings (its rows of the settings table) and what the sink
// needs from them: the cluster's URLs, how to authenticate, and where and how to write.

import { z } from "zod";
import {
  boolean,
  duration,
  httpUrls,
  integer,
  plainHttpCheck,
  type SettingDefinition,
  splitCredentials,
  text,
} from "../../settings-kit/schemas.ts";
import { registerSecrets, urlSecrets } from "../../util/secrets.ts";

export type ElasticsearchAuth =
  | { kind: "none" }
  | { kind: "basic"; user: string; password: string }
  /** The base64 "id:key" of an API key (or an Elastic Cloud "essu_" key), sent as is. */
  | { kind: "api-key"; key: string }
  | { kind: "aws"; region: string; service: "es" | "aoss" };

export interface ElasticsearchConfig {
  kind: "elasticsearch";
  /** Tried in turn when one is down; without credentials. */
  urls: string[];
  auth: ElasticsearchAuth;
  /** The data stream or index written to. */
  index: string;
  /** `index` follows logs-<dataset>-<namespace>: a data stream, with these parts. */
  dataStream: { dataset: string; namespace: string } | null;
  caFile: string | undefined;
  /** Install the index template (and lifecycle policy) at start when it is missing. */
  autoSetup: boolean;
  retentionDays: number | null;
  bulkMaxBytes: number;
  gzip: boolean;
}

export const DEFAULT_INDEX = "logs-auth0.export-default";
/** The names of Elastic's Auth0 integration (Fleet), whose template ours must never override. */
const FLEET_AUTH0 = "logs-auth0.logs-";
const DATA_STREAM = /^logs-([^-]{1,100})-([^-]{1,100})$/;

const indexName = text.refine(
  (v) =>
    v === v.toLowerCase() &&
    !/[\\/*?"<>|\s,#:]/.test(v) &&
    !/^[-_+.]/.test(v) &&
    Buffer.byteLength(v) <= 255,
  'must be a lowercase index or data stream name without \\ / * ? " < > | , # : or spaces, not starting with - _ + or .',
);

export const elasticsearchSettings: SettingDefinition[] = [
  {
    // Not a secret as a whole: messages show the URL, with its credentials (which are) masked.
    name: "ELASTICSEARCH_URL",
    group: "Elasticsearch",
    scope: "job",
    example: "https://es1.example.com:9200,https://es2.example.com:9200",
    description:
      "Selects the Elasticsearch/OpenSearch sink instead of Logstash: the cluster's URL, or several comma-separated, tried in turn when one is down. Credentials in it are sent as basic auth, and never shown. `setup` reads it alone, also for Logstash users.",
    list: true,
    schema: httpUrls,
  },
  {
    name: "ELASTICSEARCH_CLOUD_ID",
    group: "Elasticsearch",
    scope: "job",
    example: "my-deployment:ZXUtd2VzdC0xLmF3cy5mb3VuZC5pbyRhYmMxMjMkZGVmNDU2",
    description:
      "Elastic Cloud deployment id, instead of ELASTICSEARCH_URL (decoded into the deployment's https URL).",
    schema: text,
  },
  {
    name: "ELASTICSEARCH_USER",
    group: "Elasticsearch",
    scope: "job",
    example: "auth0_writer",
    description: "Basic-auth user; needs ELASTICSEARCH_PASSWORD.",
    schema: text,
  },
  {
    name: "ELASTICSEARCH_PASSWORD",
    group: "Elasticsearch",
    scope: "job",
    secret: true,
    example: "(a password)",
    description: "Basic-auth password; needs ELASTICSEARCH_USER.",
    schema: text,
  },
  {
    name: "ELASTICSEARCH_API_KEY",
    group: "Elasticsearch",
    scope: "job",
    secret: true,
    example: "(base64 of id:api_key)",
    description:
      "An Elasticsearch API key, the base64 of id:api_key as Kibana shows it (id:api_key itself is encoded for you), sent as Authorization: ApiKey.",
    schema: text,
  },
  {
    name: "ELASTICSEARCH_AWS_REGION",
    group: "Elasticsearch",
    scope: "job",
    example: "eu-west-1",
    description:
      "Sign requests with AWS SigV4 for Amazon OpenSearch Service in this region; credentials come from the standard AWS chain (environment, profile, container or instance role, IRSA).",
    schema: text.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be an AWS region such as eu-west-1"),
  },
  {
    name: "ELASTICSEARCH_AWS_SERVICE",
    group: "Elasticsearch",
    scope: "job",
    default: "es",
    example: "aoss",
    description:
      "With ELASTICSEARCH_AWS_REGION: es for OpenSearch Service domains, aoss for OpenSearch Serverless (search collections only: time-series collections refuse document ids).",
    schema: z.enum(["es", "aoss"], { error: "must be es or aoss" }),
  },
  {
    name: "ELASTICSEARCH_INDEX",
    group: "Elasticsearch",
    scope: "job",
    default: DEFAULT_INDEX,
    example: "logs-auth0.export-prod",
    description:
      "Data stream (logs-<dataset>-<namespace>) or index written to. The default stays apart from Elastic's own Auth0 integration (logs-auth0.logs-*, refused: our template would take its data streams over) and inside logs-*, which Kibana's Security app reads.",
    schema: indexName,
  },
  {
    name: "ELASTICSEARCH_CA_FILE",
    group: "Elasticsearch",
    scope: "job",
    example: "/etc/ssl/certs/cluster-ca.pem",
    description:
      "PEM file of the CA that signed the cluster's certificate, when it is not a public one (NODE_EXTRA_CA_CERTS works too).",
    schema: text,
  },
  {
    name: "ELASTICSEARCH_SETUP",
    group: "Elasticsearch",
    scope: "job",
    default: "auto",
    example: "off",
    description:
      "auto: run and once install the index template and lifecycle policy when they are missing (as `setup` does); off: never (for users who may not manage templates; `check` says what is missing).",
    schema: z.enum(["auto", "off"], { error: "must be auto or off" }),
  },
  {
    name: "ELASTICSEARCH_RETENTION",
    group: "Elasticsearch",
    scope: "job",
    example: "400d",
    description:
      "Delete indexed logs this long after their index rolls over (ILM on Elasticsearch, ISM on OpenSearch). Unset: kept until you delete them.",
    range: "1d to 3650d",
    schema: duration("1d", "3650d"),
  },
  {
    name: "ELASTICSEARCH_BULK_MAX_MB",
    group: "Elasticsearch",
    scope: "job",
    default: "5",
    example: "10",
    description:
      "Largest _bulk request body in MiB (before gzip); a page that would be larger is sent in several requests.",
    schema: integer(1, 100),
  },
  {
    name: "ELASTICSEARCH_GZIP",
    group: "Elasticsearch",
    scope: "job",
    default: "true",
    example: "false",
    description: "Send _bulk bodies gzip-compressed.",
    schema: boolean,
  },
];

/** `label:base64(host$es-id$kibana-id)` → the deployment's https URL, or null when malformed. */
export function cloudIdUrl(cloudId: string): string | null {
  const colon = cloudId.indexOf(":");
  if (colon < 0) return null;
  const decoded = Buffer.from(cloudId.slice(colon + 1), "base64").toString("utf8");
  const [hostPart = "", esId = ""] = decoded.split("$");
  if (hostPart === "" || esId === "" || !/^[\w.-]+(:\d+)?$/.test(hostPart)) return null;
  const [host, port] = hostPart.split(":");
  return `https://${esId}.${host}${port && port !== "443" ? `:${port}` : ""}`;
}

/** The Elasticsearch sink's settings, or undefined (and the problems) when they do not hold. */
export function elasticsearchConfig(
  parsed: Record<string, unknown>,
  problems: string[],
  warnings: string[],
): ElasticsearchConfig | undefined {
  const before = problems.length;
  const given = parsed.ELASTICSEARCH_URL as string[] | undefined;
  const cloudId = parsed.ELASTICSEARCH_CLOUD_ID as string | undefined;
  if (given && cloudId) {
    problems.push(
      "ELASTICSEARCH_CLOUD_ID: set together with ELASTICSEARCH_URL; set only one of them (example: ELASTICSEARCH_URL=https://es.example.com:9200)",
    );
  }
  let raw = given ?? [];
  if (cloudId && !given) {
    const url = cloudIdUrl(cloudId);
    if (url === null) {
      problems.push(
        "ELASTICSEARCH_CLOUD_ID: must be name:base64 as Elastic Cloud shows it, the base64 holding host$elasticsearch-id$kibana-id",
      );
    } else raw = [url];
  }
  const split = raw.map(splitCredentials);
  // The URL is shown in messages; what in it is a credential is registered to be masked.
  registerSecrets(...raw.flatMap(urlSecrets));
  const inUrl = split.find((part) => part.user !== undefined);
  let user = parsed.ELASTICSEARCH_USER as string | undefined;
  let password = parsed.ELASTICSEARCH_PASSWORD as string | undefined;
  if (inUrl && (user !== undefined || password !== undefined)) {
    problems.push(
      "ELASTICSEARCH_URL: carries credentials while ELASTICSEARCH_USER or ELASTICSEARCH_PASSWORD is set too; keep only one of the two",
    );
  }
  if (inUrl) ({ user, password } = inUrl);
  else if ((user === undefined) !== (password === undefined)) {
    problems.push(
      `${user === undefined ? "ELASTICSEARCH_PASSWORD" : "ELASTICSEARCH_USER"}: basic auth needs both ELASTICSEARCH_USER and ELASTICSEARCH_PASSWORD`,
    );
  }
  const apiKey = parsed.ELASTICSEARCH_API_KEY as string | undefined;
  const region = parsed.ELASTICSEARCH_AWS_REGION as string | undefined;
  const modes = [password !== undefined, apiKey !== undefined, region !== undefined].filter(
    Boolean,
  );
  if (modes.length > 1) {
    problems.push(
      "ELASTICSEARCH_API_KEY: choose one way to authenticate: a user and password, an API key, or AWS SigV4 (ELASTICSEARCH_AWS_REGION)",
    );
  }
  const auth: ElasticsearchAuth =
    apiKey !== undefined
      ? {
          kind: "api-key",
          key: apiKey.includes(":") ? Buffer.from(apiKey).toString("base64") : apiKey,
        }
      : region !== undefined
        ? { kind: "aws", region, service: parsed.ELASTICSEARCH_AWS_SERVICE as "es" | "aoss" }
        : password !== undefined && user !== undefined
          ? { kind: "basic", user, password }
          : { kind: "none" };
  const secret =
    auth.kind === "basic" ? "the password" : auth.kind === "api-key" ? "the API key" : null;
  for (const { url } of split) {
    plainHttpCheck(
      "ELASTICSEARCH_URL",
      url,
      secret,
      parsed.ALLOW_INSECURE_HTTP === true,
      problems,
      warnings,
    );
  }
  const index = parsed.ELASTICSEARCH_INDEX as string;
  if (index.startsWith(FLEET_AUTH0)) {
    problems.push(
      `ELASTICSEARCH_INDEX: ${index} is a data stream of Elastic's Auth0 integration (${FLEET_AUTH0}*): setup's template (priority 501) would override the integration's template and ingest pipeline there and break it; use another dataset, such as the default ${DEFAULT_INDEX}`,
    );
  }
  const match = DATA_STREAM.exec(index);
  if (problems.length > before) return undefined;
  return {
    kind: "elasticsearch",
    urls: split.map(({ url }) => url.toString().replace(/\/$/, "")),
    auth,
    index,
    dataStream: match ? { dataset: match[1] as string, namespace: match[2] as string } : null,
    caFile: parsed.ELASTICSEARCH_CA_FILE as string | undefined,
    autoSetup: parsed.ELASTICSEARCH_SETUP === "auto",
    retentionDays:
      parsed.ELASTICSEARCH_RETENTION === undefined
        ? null
        : Math.ceil((parsed.ELASTICSEARCH_RETENTION as number) / 86_400_000),
    bulkMaxBytes: (parsed.ELASTICSEARCH_BULK_MAX_MB as number) * 1024 * 1024,
    gzip: parsed.ELASTICSEARCH_GZIP as boolean,
  };
}
