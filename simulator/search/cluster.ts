// The indices and data streams of the fake cluster, and what exists after a write: a target that
// does not exist is created on first write from the best-matching template (a data stream with a
// `.ds-` backing index when the template says so, otherwise a plain index), as auto-create does.
// Documents count as searchable only after a refresh, explicit or the 1 s periodic one, so a
// client that counts right after a bulk sees what it would see on a real node.

import { randomBytes } from "node:crypto";
import { type EsError, esError, type Json } from "./errors.ts";
import { globMatch } from "./http.ts";
import { IndexMapping } from "./mapping.ts";
import type { Flavor, SearchOptions } from "./options.ts";
import type { TemplateStore } from "./templates.ts";

export interface StoredDoc {
  source: Json;
  version: number;
  seqNo: number;
  /** When it was written (epoch ms): a search finds it after the next refresh. */
  at?: number;
}

export interface IndexState {
  name: string;
  uuid: string;
  dataStream?: string;
  mapping: IndexMapping;
  docs: Map<string, StoredDoc>;
  seqNo: number;
  /** Creation time of each new document, in order: what the periodic refresh exposes. */
  writeTimes: number[];
  refreshedCount: number;
  /** When the index was last refreshed explicitly (epoch ms). */
  refreshedAt?: number;
  settings: Record<string, string>;
}

export interface DataStreamState {
  name: string;
  template: string;
  timestampField: string;
  indices: string[];
}

const REFRESH_MS = 1_000;
const FORBIDDEN = /[\\/*?"<>| ,#]/;

/** ES's index-name rules, as a per-item invalid_index_name_exception. */
export function invalidName(name: string): EsError | undefined {
  let why: string | undefined;
  if (name !== name.toLowerCase()) why = "must be lowercase";
  else if (name === "." || name === "..") why = "must not be '.' or '..'";
  else if (/^[_\-+]/.test(name)) why = "must not start with '_', '-', or '+'";
  else if (FORBIDDEN.test(name))
    why = 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]';
  else if (name.includes(":")) why = "must not contain ':'";
  else if (Buffer.byteLength(name) > 255)
    why = `index name is too long, (${Buffer.byteLength(name)} > 255)`;
  if (why === undefined) return undefined;
  return esError("invalid_index_name_exception", `Invalid index name [${name}], ${why}`, {
    index_uuid: "_na_",
    index: name,
  });
}

function day(): string {
  return new Date().toISOString().slice(0, 10).replaceAll("-", ".");
}

export class Cluster {
  readonly indices = new Map<string, IndexState>();
  readonly streams = new Map<string, DataStreamState>();
  readonly idCounts = new Map<string, number>();
  private readonly flavor: Flavor;
  private readonly options: SearchOptions;
  private readonly templates: TemplateStore;
  /** Told of every index created (ISM attaches its policies then). */
  private readonly created: (index: IndexState) => void;

  constructor(
    flavor: Flavor,
    options: SearchOptions,
    templates: TemplateStore,
    created: (index: IndexState) => void = () => {},
  ) {
    this.flavor = flavor;
    this.options = options;
    this.templates = templates;
    this.created = created;
  }

  reset(): void {
    this.indices.clear();
    this.streams.clear();
    this.idCounts.clear();
  }

  /** A plain index (PUT /<name>), or why the name is refused. */
  createIndex(
    name: string,
    mappings: Json,
    settings: Record<string, string>,
  ): IndexState | EsError {
    return invalidName(name) ?? this.build(name, mappings, settings);
  }

  private build(
    name: string,
    mappings: Json,
    settings: Record<string, string>,
    timestampField?: string,
    dataStream?: string,
  ): IndexState {
    const limits = {
      totalFields: Number(
        settings["index.mapping.total_fields.limit"] ?? this.options.fieldLimit ?? 1000,
      ),
      depth: Number(settings["index.mapping.depth.limit"] ?? 20),
      ignoreMalformed: settings["index.mapping.ignore_malformed"] === "true",
      ignoreDynamicBeyondLimit:
        this.flavor.es &&
        settings["index.mapping.total_fields.ignore_dynamic_beyond_limit"] === "true",
    };
    const state: IndexState = {
      name,
      uuid: randomBytes(16).toString("base64url").slice(0, 22),
      mapping: new IndexMapping(mappings, limits, this.flavor, timestampField),
      docs: new Map(),
      seqNo: 0,
      writeTimes: [],
      refreshedCount: 0,
      settings,
      ...(dataStream === undefined ? {} : { dataStream }),
    };
    this.indices.set(name, state);
    this.created(state);
    return state;
  }

  /** Creates a data stream from its template; undefined when no data-stream template matches. */
  createDataStream(name: string): DataStreamState | undefined {
    const resolved = this.templates.resolve(name);
    if (!resolved || resolved.timestampField === undefined) return undefined;
    const backing = this.flavor.es ? `.ds-${name}-${day()}-000001` : `.ds-${name}-000001`;
    this.build(backing, resolved.mappings, resolved.settings, resolved.timestampField, name);
    const stream = {
      name,
      template: resolved.template,
      timestampField: resolved.timestampField,
      indices: [backing],
    };
    this.streams.set(name, stream);
    return stream;
  }

  /**
   * A new write index for the stream, built from the templates as they are now: how a template
   * change reaches a stream already written to. Ids are unique per backing index only, so a
   * document created again after a rollover is indexed a second time, as on a real cluster.
   */
  rollover(stream: DataStreamState): { oldIndex: string; newIndex: string } {
    const oldIndex = stream.indices[stream.indices.length - 1] ?? "";
    const generation = String(stream.indices.length + 1).padStart(6, "0");
    const newIndex = this.flavor.es
      ? `.ds-${stream.name}-${day()}-${generation}`
      : `.ds-${stream.name}-${generation}`;
    const resolved = this.templates.resolve(stream.name);
    this.build(
      newIndex,
      resolved?.mappings ?? { properties: {} },
      resolved?.settings ?? {},
      stream.timestampField,
      stream.name,
    );
    stream.indices.push(newIndex);
    if (resolved) stream.template = resolved.template;
    return { oldIndex, newIndex };
  }

  /** The index a write to `target` lands in, created on first write as auto-create does. */
  writeIndex(target: string): { index: IndexState; stream?: DataStreamState } | EsError {
    const existingStream = this.streams.get(target);
    if (existingStream) return { index: this.backing(existingStream), stream: existingStream };
    const existing = this.indices.get(target);
    if (existing) return { index: existing };
    const invalid = invalidName(target);
    if (invalid) return invalid;
    const resolved = this.templates.resolve(target);
    if (resolved?.timestampField !== undefined) {
      const stream = this.createDataStream(target);
      if (stream) return { index: this.backing(stream), stream };
    }
    return {
      index: this.build(target, resolved?.mappings ?? { properties: {} }, resolved?.settings ?? {}),
    };
  }

  private backing(stream: DataStreamState): IndexState {
    const name = stream.indices[stream.indices.length - 1] ?? "";
    const index = this.indices.get(name);
    if (!index) throw new Error(`backing index ${name} vanished`);
    return index;
  }

  /** The indices behind a name or pattern (data streams expand to their backing indices). */
  resolve(target: string): IndexState[] {
    const found = new Map<string, IndexState>();
    for (const one of target.split(",")) {
      for (const stream of this.streams.values()) {
        if (!globMatch(one, stream.name)) continue;
        for (const name of stream.indices) {
          const index = this.indices.get(name);
          if (index) found.set(name, index);
        }
      }
      for (const index of this.indices.values()) {
        if (globMatch(one, index.name) && (!index.name.startsWith(".") || one.startsWith(".")))
          found.set(index.name, index);
      }
    }
    return [...found.values()];
  }

  recordCreated(index: IndexState, id: string): void {
    index.writeTimes.push(Date.now());
    this.idCounts.set(id, (this.idCounts.get(id) ?? 0) + 1);
  }

  refresh(indices: IndexState[]): void {
    for (const index of indices) {
      index.refreshedCount = index.writeTimes.length;
      index.refreshedAt = Date.now();
    }
  }

  /** Documents a search would see now: refreshed explicitly, or before the last periodic tick. */
  visibleCount(index: IndexState): number {
    const tick = Math.floor(Date.now() / REFRESH_MS) * REFRESH_MS;
    let low = 0;
    let high = index.writeTimes.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((index.writeTimes[mid] ?? 0) < tick) low = mid + 1;
      else high = mid;
    }
    return Math.max(low, index.refreshedCount);
  }

  dataStreamInfo(stream: DataStreamState): Json {
    const policy = this.backing(stream).settings["index.lifecycle.name"];
    const indices = stream.indices.map((name) => {
      const base: Json = { index_name: name, index_uuid: this.indices.get(name)?.uuid };
      if (!this.flavor.es) return base;
      return policy
        ? {
            ...base,
            prefer_ilm: true,
            ilm_policy: policy,
            managed_by: "Index Lifecycle Management",
          }
        : { ...base, prefer_ilm: true, managed_by: "Unmanaged" };
    });
    const info: Json = {
      name: stream.name,
      timestamp_field: { name: stream.timestampField },
      indices,
      generation: stream.indices.length,
      status: "GREEN",
      template: stream.template,
    };
    if (!this.flavor.es) return info;
    return {
      ...info,
      ...(policy ? { ilm_policy: policy } : {}),
      next_generation_managed_by: policy ? "Index Lifecycle Management" : "Unmanaged",
      prefer_ilm: true,
      hidden: false,
      system: false,
      allow_custom_routing: false,
      replicated: false,
      rollover_on_write: false,
    };
  }

  /**
   * Deletes documents behind the writer's back (a test's lost events: a lifecycle step, a restore
   * from an old snapshot); returns how many were there. The id counts forget them too.
   */
  removeDocuments(target: string, ids: Iterable<string>): number {
    let removed = 0;
    for (const id of ids) {
      for (const index of this.resolve(target)) {
        if (!index.docs.delete(id)) continue;
        removed++;
        const left = (this.idCounts.get(id) ?? 1) - 1;
        if (left > 0) this.idCounts.set(id, left);
        else this.idCounts.delete(id);
      }
    }
    return removed;
  }

  /** An auto-generated _id: 20 URL-safe base64 characters, like ES's time-based ids. */
  static newId(): string {
    return randomBytes(15).toString("base64url");
  }
}
