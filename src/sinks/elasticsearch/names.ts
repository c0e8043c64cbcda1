// The names of what setup installs, apart from setup itself: settings validation needs them, and
// must not load the cluster client to get them.

import { createHash } from "node:crypto";
import type { ElasticsearchConfig } from "./config.ts";

/** The base name of everything setup installs. */
export const SETUP_NAME = "auth0-logs-to-logstash";

/**
 * The name of what setup installs for a target: one per family of names the template covers, so
 * that tenants writing elsewhere on one cluster keep their own. The default dataset's family
 * (logs-auth0.export-*, every namespace) has the base name; another dataset, or a plain index,
 * adds it: auth0-logs-to-logstash-auth0.staging, auth0-logs-to-logstash-auth0-prod.
 */
export function setupName(config: Pick<ElasticsearchConfig, "index" | "dataStream">): string {
  if (config.dataStream?.dataset === "auth0.export") return SETUP_NAME;
  const family = config.dataStream ? config.dataStream.dataset : config.index;
  // Index names allow more than template names do (+, !, letters beyond a-z): such a family is
  // named by its plain part and a digest, which keeps it apart from any other.
  const plain = family.replace(/[^a-z0-9._-]/g, "_").slice(0, 150);
  const digest = createHash("sha256").update(family).digest("hex").slice(0, 8);
  return plain === family ? `${SETUP_NAME}-${family}` : `${SETUP_NAME}-${plain}-${digest}`;
}
