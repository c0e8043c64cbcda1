// The ECS classification (event.category, event.type, event.action, event.outcome) of every Auth0
// event type code. Kibana's Security app and most detection rules select events by these fields,
// never by Auth0's own codes, so an Auth0 event is only visible there once it is classified.
//
// It is derived from our own table (auth0-log-types.tsv: code, name, description, Log Streams
// category), computed once at load, by the rules below, in this order (the first that applies):
//   1. OVERRIDES: codes the rules get wrong or that fit no family, each with its reason;
//   2. FAMILIES: code or name patterns that cut across Auth0's categories (rate limits, attack
//      protection, breached passwords, MFA, hooks, flows, forms, e-mails, user imports);
//   3. BY_CATEGORY: the Log Streams category (auth.login.*, user.*, …); for a user's record the
//      name then tells a deletion from an ordinary change.
// event.outcome comes from the category's suffix (.success/.fail), else from the name's words
// (Success…, Failed…, …), else "unknown". event.action is a slug of the name, or of the
// description when several codes share the name. Only ECS 9 values are produced: `check` refuses
// anything else when the module loads, so a bad override fails every test at once.
// Run `node src/pipeline/ecs-types.ts` to print the table (docs/ecs.md holds a copy).

import { type LogTypeInfo, logTypes } from "./log-types.ts";

export const ECS_VERSION = "9.4.0";

export interface EcsClassification {
  category: string[];
  type: string[];
  action: string;
  outcome: "success" | "failure" | "unknown";
}

/**
 * The ECS 9 event.category values we use, each with the event.type values ECS expects with it.
 * ECS allows eleven more categories (database, driver, file, host, library, malware, package,
 * process, registry, threat, vulnerability); none fits an Auth0 event, so they are left out and
 * `check` refuses them.
 */
const EXPECTED_TYPES: Record<string, readonly string[]> = {
  api: [
    ...["access", "admin", "allowed", "change", "creation", "deletion", "denied", "end", "info"],
    ...["start", "user"],
  ],
  authentication: ["start", "end", "info"],
  configuration: ["access", "change", "creation", "deletion", "info"],
  email: ["info"],
  iam: ["admin", "change", "creation", "deletion", "group", "info", "user"],
  intrusion_detection: ["allowed", "denied", "info"],
  network: ["access", "allowed", "connection", "denied", "end", "info", "protocol", "start"],
  session: ["start", "end", "info"],
  web: ["access", "error", "info"],
};

type Shape = { category: string[]; type: string[] };
type Override = Partial<Shape> & {
  outcome?: EcsClassification["outcome"];
  action?: string;
  why: string;
};

const shape = (category: string[], type: string[]): Shape => ({ category, type });

// Codes whose Log Streams category says nothing useful ("other" holds 57 codes) or misleads.
const OVERRIDES: Record<string, Override> = {
  feta: { outcome: "failure", why: "named Failed Exchange, yet listed by Auth0 under .success" },
  // Actions: the slug of a long description or name would be a sentence.
  limit_wc: { action: "blocked-account-failed-logins", why: "brute-force protection" },
  limit_sul: { action: "blocked-account-logins-per-ip", why: "too many logins from one IP" },
  limit_phone: { action: "blocked-phone-messages", why: "SMS and voice sending limit" },
  secte: { action: "successful-exchange-via-custom-token-exchange", why: "Auth0's misspelling" },
  mgmt_api_read: { ...shape(["api", "configuration"], ["access"]), why: "a read, not a change" },
  fd: { ...shape(["authentication"], ["info"]), why: "delegation issues a token" },
  sd: { ...shape(["authentication"], ["info"]), why: "delegation issues a token" },
  fdeac: { ...shape(["authentication"], ["info"]), why: "device flow: activation" },
  fdeaz: { ...shape(["authentication"], ["info"]), why: "device flow: authorization request" },
  fdecc: { ...shape(["authentication"], ["info"]), why: "device flow: user cancelled" },
  cs: { ...shape(["authentication"], ["info"]), why: "passwordless: code sent" },
  cls: { ...shape(["authentication"], ["info"]), why: "passwordless: code or link sent" },
  mfar: { ...shape(["authentication"], ["info"]), why: "a login step: MFA asked for" },
  ciba_start_failed: { ...shape(["authentication"], ["start"]), why: "CIBA starts a login" },
  ciba_start_succeeded: { ...shape(["authentication"], ["start"]), why: "CIBA starts a login" },
  passkey_challenge_failed: { ...shape(["authentication"], ["start"]), why: "passkey login" },
  passkey_challenge_started: { ...shape(["authentication"], ["start"]), why: "passkey login" },
  fpar: { ...shape(["authentication"], ["start"]), why: "a pushed request starts a login" },
  fco: { ...shape(["web"], ["error"]), why: "CORS: the browser's origin is not allowed" },
  si: { ...shape(["iam"], ["group", "change"]), why: "invitations join an organization" },
  fi: { ...shape(["iam"], ["group", "change"]), why: "invitations join an organization" },
  organization_member_added: { ...shape(["iam"], ["group", "change"]), why: "membership" },
  srrt: { ...shape(["session"], ["end"]), why: "a revoked refresh token ends that session" },
  sv: { ...shape(["iam"], ["user", "change"]), why: "the link was used: e-mail now verified" },
  ublkdu: { ...shape(["iam"], ["user", "change"]), why: "the user's block was lifted" },
  too_many_records: { ...shape(["iam"], ["user", "info"]), why: "authenticator limit reached" },
  wum: { ...shape(["iam"], ["info"]), why: "warning during user management" },
  coff: { ...shape(["network"], ["connection", "end"]), why: "AD/LDAP connector went offline" },
  con: { ...shape(["network"], ["connection", "start"]), why: "AD/LDAP connector is back" },
  acls_summary: { ...shape(["network"], ["info"]), why: "network ACL matches" },
  fcpro: { ...shape(["configuration"], ["creation"]), why: "connector provisioning" },
  resource_cleanup: { ...shape(["configuration"], ["deletion"]), why: "resources removed" },
  rich_consents_access_error: { ...shape(["api"], ["access"]), why: "reading a consent record" },
  pla: { ...shape(["intrusion_detection"], ["info"]), why: "bot detection's assessment" },
};

// Patterns over the code and name, tried in order; each explains the family it recognizes.
const FAMILIES: { test: (info: LogTypeInfo) => boolean; shape: (info: LogTypeInfo) => Shape }[] = [
  {
    // API rate limits (api_limit, limit_ui, limit_delegation): requests refused, or a warning.
    test: (i) => /rate limit|too many calls/i.test(i.event),
    shape: (i) => shape(["api"], [/warning/i.test(i.event) ? "info" : "denied"]),
  },
  {
    // Attack protection blocking an IP address, an account or a phone (limit_mu, limit_wc,
    // limit_sul, limit_phone) or MFA attempts (gd_*_rate_limit_exceed).
    test: (i) => i.code.startsWith("limit_") || i.code.endsWith("rate_limit_exceed"),
    shape: (i) =>
      shape(
        ["intrusion_detection", /IP Address/.test(i.event) ? "network" : "authentication"],
        ["denied"],
      ),
  },
  {
    // Breached password detection, on login, signup or password reset.
    test: (i) => i.code.endsWith("pwd_leak"),
    shape: (i) =>
      shape(["intrusion_detection", i.code === "pwd_leak" ? "authentication" : "iam"], ["info"]),
  },
  {
    // Guardian (MFA) administration: the tenant's MFA settings.
    test: (i) => /^gd_(tenant_update|module_switch)$/.test(i.code),
    shape: () => shape(["configuration"], ["change"]),
  },
  {
    // Guardian (MFA) enrollment: a user's authenticators change.
    test: (i) => i.code.startsWith("gd_") && /enroll|device_account|user_delete/.test(i.code),
    shape: () => shape(["iam"], ["user", "change"]),
  },
  {
    // Guardian (MFA) challenges sent by e-mail.
    test: (i) => i.code.startsWith("gd_send_email"),
    shape: () => shape(["authentication", "email"], ["info"]),
  },
  {
    // Guardian (MFA) second factor: a step inside a login; gd_start_auth begins it.
    test: (i) => i.code.startsWith("gd_"),
    shape: (i) => shape(["authentication"], [i.code === "gd_start_auth" ? "start" : "info"]),
  },
  {
    // Extensibility: Auth0 ran the tenant's own code (hooks, Actions, Flows).
    test: (i) => /Hook$/.test(i.event) || /^(actions|flows)_/.test(i.code),
    shape: () => shape(["api"], ["info"]),
  },
  {
    // Forms: a page the user submitted.
    test: (i) => i.code.startsWith("forms_"),
    shape: () => shape(["web"], ["info"]),
  },
  {
    // Mail sent to users: verification e-mails, notifications.
    test: (i) => /Verification Email|Sending Notification/.test(i.event),
    shape: () => shape(["email"], ["info"]),
  },
  {
    // User imports create users, whatever their Log Streams category.
    test: (i) => /import/i.test(i.event),
    shape: () => shape(["iam"], ["user", "creation"]),
  },
  {
    // Self-service SSO: a customer's administrator sets up an enterprise connection.
    test: (i) => i.code.startsWith("ss_sso_"),
    shape: (i) => shape(["configuration"], [i.code === "ss_sso_info" ? "info" : "change"]),
  },
  {
    // Inbound directory sync (SCIM-like provisioning from an identity provider).
    test: (i) => i.code.startsWith("directory_sync_"),
    shape: () => shape(["iam"], ["info"]),
  },
  {
    // Tenant encryption keys (BYOK / KMS).
    test: (i) => i.code.startsWith("kms_"),
    shape: () => shape(["configuration"], ["change"]),
  },
];

/** By Log Streams category, without its .success/.fail/.notification suffix unless listed. */
const BY_CATEGORY: Record<string, Shape> = {
  "auth.login": shape(["authentication"], ["start"]),
  "auth.login.notification": shape(["authentication"], ["info"]),
  "auth.logout": shape(["authentication", "session"], ["end"]),
  "auth.signup": shape(["iam"], ["user", "creation"]),
  "auth.silent_auth": shape(["authentication"], ["start"]),
  "auth.token_exchange": shape(["authentication"], ["info"]),
  management: shape(["api", "iam", "configuration"], ["change"]),
  user: shape(["iam"], ["user", "change"]),
  "user.notification": shape(["iam"], ["user", "info"]),
  scim: shape(["iam"], ["user", "change"]),
  actions: shape(["api"], ["info"]),
  "system.notification": shape(["configuration"], ["info"]),
};

function byCategory(info: LogTypeInfo): Shape {
  const base =
    BY_CATEGORY[info.category] ??
    BY_CATEGORY[info.category.replace(/\.[a-z_]+$/, "")] ??
    shape([], ["info"]);
  if (!base.category.includes("iam") || !base.type.includes("user")) return base;
  // A user's record was deleted or created, rather than changed ("Connected Account Delete"
  // removes a linked identity, not the user: it stays a change).
  if (/\buser\b.*\bdelet|\bdelet\w*\s+user\b/i.test(info.event)) {
    return shape(["iam"], ["user", "deletion"]);
  }
  return base;
}

function outcomeOf(info: LogTypeInfo): EcsClassification["outcome"] {
  if (info.category.endsWith(".success")) return "success";
  if (info.category.endsWith(".fail")) return "failure";
  if (/\b(fail|failed|failures?|error|rejected|cancell?ed)\b/i.test(info.event)) return "failure";
  if (
    /\b(success|successful|successfully|succeed|succeeded|completed|confirmed|sent)\b/i.test(
      info.event,
    )
  ) {
    return "success";
  }
  return "unknown";
}

/** "Failed Login (Incorrect Password)" → "failed-login-incorrect-password", at most 80 chars. */
function slug(text: string): string {
  const full = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  if (full.length <= 80) return full;
  const cut = full.slice(0, 81);
  return cut.slice(0, cut.lastIndexOf("-"));
}

/** The description's first sentence, as a name for codes whose names are shared. */
const firstSentence = (text: string) => text.split(/\.(\s|$)/)[0] ?? text;

function check(code: string, c: EcsClassification): void {
  for (const category of c.category) {
    if (!(category in EXPECTED_TYPES)) throw new Error(`${code}: ${category} is not ECS`);
  }
  for (const type of c.type) {
    const fits =
      c.category.length === 0 || c.category.some((k) => EXPECTED_TYPES[k]?.includes(type));
    if (!fits) throw new Error(`${code}: type ${type} fits none of ${c.category.join(", ")}`);
  }
}

function build(): Map<string, EcsClassification> {
  const infos = [...logTypes.values()];
  const nameCount = new Map<string, number>();
  for (const i of infos) nameCount.set(i.event, (nameCount.get(i.event) ?? 0) + 1);
  const actionOf = (i: LogTypeInfo) =>
    slug(
      (nameCount.get(i.event) ?? 0) > 1 && i.description ? firstSentence(i.description) : i.event,
    );
  const actionCount = new Map<string, number>();
  for (const i of infos) actionCount.set(actionOf(i), (actionCount.get(actionOf(i)) ?? 0) + 1);

  const table = new Map<string, EcsClassification>();
  for (const info of infos) {
    const override = OVERRIDES[info.code];
    const family = FAMILIES.find((f) => f.test(info));
    const base = family ? family.shape(info) : byCategory(info);
    const action = actionOf(info);
    const c: EcsClassification = {
      category: Object.freeze(override?.category ?? base.category) as string[],
      type: Object.freeze(override?.type ?? base.type) as string[],
      action:
        override?.action ??
        ((actionCount.get(action) ?? 0) > 1 ? `${action}-${slug(info.code)}` : action),
      outcome: override?.outcome ?? outcomeOf(info),
    };
    check(info.code, c);
    table.set(info.code, Object.freeze(c));
  }
  return table;
}

const TABLE = build();
const NO_CATEGORY = Object.freeze([]) as unknown as string[];
const INFO = Object.freeze(["info"]) as unknown as string[];

/**
 * The ECS classification of an Auth0 type code. The arrays are shared and frozen: copy them
 * before changing them. Unknown codes get no category (ECS has no "other"), type info.
 */
export function classify(code: string | undefined): EcsClassification {
  const known = code === undefined ? undefined : TABLE.get(code);
  if (known) return known;
  return {
    category: NO_CATEGORY,
    type: INFO,
    action: code === undefined || code === "" ? "unknown" : `unknown-${code}`,
    outcome: "unknown",
  };
}

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The whole classification as a Markdown table, one row per code, in code order. */
export function ecsTable(): string {
  const rows = [
    "| code | event | ECS category | type | action | outcome |",
    "|---|---|---|---|---|---|",
  ];
  for (const [code, c] of [...TABLE].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const event = logTypes.get(code)?.event ?? "";
    const category = c.category.length > 0 ? c.category.join(", ") : "—";
    rows.push(
      `| \`${code}\` | ${cell(event)} | ${category} | ${c.type.join(", ")} | \`${c.action}\` | ${c.outcome} |`,
    );
  }
  return rows.join("\n");
}

if (import.meta.main) console.log(ecsTable());
