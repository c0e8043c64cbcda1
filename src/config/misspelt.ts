// Settings spelt wrong. A name that is not a setting is ignored, so a typo (LOG_LEVLE=error)
// would silently change what is exported, or turn into "required but not set" for the setting
// meant. Every key of .env (our file) that is not a setting is said, and so is a variable of the
// environment that starts like our settings and is one or two letters from one; an error about an
// unset setting names the misspelling that was probably meant for it.

import { ALIASES, settings } from "./settings.ts";

/** Every name read: the settings and their aliases. */
const NAMES = [...settings.map((s) => s.name), ...Object.keys(ALIASES)];
const KNOWN = new Set(NAMES);

/**
 * The first words of our settings' names (AUTH0_, LOGSTASH_, LOG_, …), from the settings table:
 * an environment variable that starts with one may be meant for us.
 */
export const PREFIXES = [
  ...new Set(NAMES.filter((n) => n.includes("_")).map((n) => n.slice(0, n.indexOf("_") + 1))),
];

/**
 * Kubernetes' service links (and Docker's links) for a service named elasticsearch:
 * ELASTICSEARCH_PORT=tcp://10.0.0.5:9200, ELASTICSEARCH_SERVICE_HOST=…: theirs, not a typo of ours.
 */
function serviceLink(key: string, value: string): boolean {
  return /_SERVICE_(HOST|PORT)/.test(key) || /^(tcp|udp|sctp):\/\//.test(value);
}

/** Edit distance (Levenshtein). */
function distance(a: string, b: string): number {
  let previous = [...Array(b.length + 1).keys()];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const [left, up, diagonal] = [row[j - 1], previous[j], previous[j - 1]] as [
        number,
        number,
        number,
      ];
      row[j] = Math.min(left + 1, up + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length] as number;
}

/**
 * The name among `names` that `key` most likely meant, for "did you mean": the closest, when at
 * most two edits away (a fifth of its length for longer names), case and - . or spaces for _
 * aside; undefined when none is that close. Also the CLI's, for its commands and options.
 */
export function closestName(key: string, names: readonly string[] = NAMES): string | undefined {
  if (key.length > 64) return undefined;
  const wanted = key.toUpperCase().replace(/[-.\s]/g, "_");
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const d = distance(wanted, name.toUpperCase().replace(/[-.\s]/g, "_"));
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  if (best === undefined) return undefined;
  return bestDistance <= Math.max(2, Math.floor(best.length / 5)) ? best : undefined;
}

/** A name that is not a setting, where it was set, and the setting it probably meant. */
export interface Misspelling {
  key: string;
  source: ".env" | "environment";
  meant: string | undefined;
  /** Set to something: an empty one is not offered as the cause of a setting being unset. */
  given: boolean;
}

/**
 * The names that are not settings: every key of .env, and each variable of the environment that
 * starts with one of our prefixes and is close to a setting (a variable of another tool that only
 * shares a prefix, such as AUTH0_AUDIENCE, is not ours to judge). `used`: names a tenants file's
 * ${VAR} reads, which are variables, not settings.
 */
export function findMisspellings(
  env: Record<string, string | undefined>,
  dotEnv: Record<string, string>,
  used: ReadonlySet<string> = new Set(),
): Misspelling[] {
  const found: Misspelling[] = [];
  for (const [key, value] of Object.entries(dotEnv)) {
    if (KNOWN.has(key) || used.has(key)) continue;
    found.push({ key, source: ".env", meant: closestName(key), given: value !== "" });
  }
  for (const [key, value] of Object.entries(env)) {
    if (KNOWN.has(key) || used.has(key) || key in dotEnv) continue;
    const upper = key.toUpperCase();
    if (!PREFIXES.some((prefix) => upper.startsWith(prefix))) continue;
    if (value === undefined || value === "" || serviceLink(upper, value)) continue;
    const meant = closestName(key);
    if (meant === undefined) continue;
    found.push({ key, source: "environment", meant, given: true });
  }
  return found;
}

/** A key as a message may show it: at most 60 characters, nothing that moves a terminal. */
function shown(key: string): string {
  const cut = key.length > 60 ? `${key.slice(0, 60)}…` : key;
  return cut.replace(/\p{C}/gu, "?");
}

/** The warning every command that loads the settings prints once. */
export function misspellingWarning(misspelling: Misspelling): string {
  const where = misspelling.source === ".env" ? "in .env" : "in the environment";
  const name = shown(misspelling.key);
  return misspelling.meant === undefined
    ? `${name} ${where} is not a setting, and is ignored`
    : `${name} ${where} is not a setting; did you mean ${misspelling.meant}?`;
}

const NAME = /\b[A-Z][A-Z0-9_]*[A-Z0-9]\b/g;

/**
 * A problem that names an unset setting with a misspelling of it set says so: "LOGSTASH_URL:
 * required but not set (LOGSTASH_URLL is set: a typo?)". `unset` tells which settings have no
 * value at all.
 */
export function withTypoHint(
  problem: string,
  misspellings: readonly Misspelling[],
  unset: (name: string) => boolean,
): string {
  const subject = /^([A-Z][A-Z0-9_]*): /.exec(problem)?.[1];
  const named = new Set(problem.match(NAME) ?? []);
  const hints = misspellings
    .filter((m) => m.given && m.meant !== undefined && named.has(m.meant) && unset(m.meant))
    .map((m) => `(${shown(m.key)} is set: a typo${m.meant === subject ? "" : ` of ${m.meant}`}?)`);
  if (hints.length === 0) return problem;
  const hint = hints.join(" ");
  const required = `${subject}: required but not set`;
  if (problem.startsWith(required)) {
    return `${required} ${hint}${problem.slice(required.length)}`;
  }
  const example = problem.indexOf(" (example: ");
  return example === -1
    ? `${problem} ${hint}`
    : `${problem.slice(0, example)} ${hint}${problem.slice(example)}`;
}
