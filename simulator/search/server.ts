// The fake cluster as a real HTTP server on 127.0.0.1, in the house style of the other fakes:
// faults queued with failNext or drawn from a seeded plan, goDown/comeBack on the same port, and
// counters for tests. This file holds the order a request goes through, which is itself
// behaviour: body size first (Netty), then the AWS gateway or the OpenSearch security plugin,
// then ES's media-type check, route lookup, Content-Type, ES security, parameters, privileges.
// Faults: `_bulk` draws from `faults`; every other route (GET /, templates, policies, data
// streams) from `adminFaults`, so that setup and check meet a busy cluster too.

import { randomUUID } from "node:crypto";
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { type FaultPlan, Faults } from "../faults.ts";
import { closeServer, listenOnLoopback } from "../loopback.ts";
import { authenticate } from "./auth.ts";
import { Cluster } from "./cluster.ts";
import {
  adminOverloaded,
  checkParams,
  errorBody,
  esError,
  forbidden,
  HttpError,
  type Json,
  overloaded,
} from "./errors.ts";
import type { Reply } from "./handlers.ts";
import {
  checkCompatibility,
  checkContentType,
  filterPath,
  productHeader,
  readBody,
} from "./http.ts";
import { Lifecycle } from "./lifecycle.ts";
import {
  type AdminFault,
  type Flavor,
  flavorOf,
  type SearchFault,
  type SearchOptions,
} from "./options.ts";
import { findRoute } from "./routes.ts";
import { TemplateStore } from "./templates.ts";

export interface SearchRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  status: number;
  /** Items in a `_bulk` request (0 for other routes). */
  items: number;
}

export class SearchFake {
  readonly faults = new Faults<SearchFault>();
  readonly adminFaults = new Faults<AdminFault>();
  readonly requests: SearchRequest[] = [];
  readonly status = new Map<number, number>();
  readonly flavor: Flavor;
  url = "";
  private readonly options: SearchOptions;
  private readonly store: TemplateStore;
  private readonly lifecycle: Lifecycle;
  private readonly cluster: Cluster;
  private readonly uuid = randomUUID().replaceAll("-", "").slice(0, 22);
  private unavailable = 0;
  private downPort = 0;
  private readonly server = createServer((req, res) => {
    this.handle(req, res).catch(() => res.socket?.destroy());
  });

  constructor(options: SearchOptions = {}) {
    this.options = options;
    this.flavor = flavorOf(options);
    if (!this.flavor.es && options.apiKey !== undefined) {
      throw new Error("OpenSearch has no ApiKey authentication; configure basic, bearer or aws");
    }
    this.store = new TemplateStore(this.flavor);
    this.lifecycle = new Lifecycle(
      this.flavor.es && this.flavor.major >= 8 && !this.flavor.serverless,
    );
    const ism = !this.flavor.es && !this.flavor.aoss;
    this.cluster = new Cluster(this.flavor, options, this.store, (index) => {
      if (!ism) return;
      const hidden = index.name.startsWith(".") || index.settings["index.hidden"] === "true";
      this.lifecycle.indexCreated({ ...index, hidden });
    });
    this.faults.set(options.faults ?? null);
    this.adminFaults.set(options.adminFaults ?? null);
  }

  async listen(port = 0): Promise<this> {
    const bound = await listenOnLoopback(this.server, port);
    this.url = `http://127.0.0.1:${bound}`;
    return this;
  }

  /** Stops listening (connections are refused) until comeBack(), on the same port. */
  async goDown(): Promise<void> {
    this.downPort = (this.server.address() as AddressInfo).port;
    await this.close();
  }

  async comeBack(): Promise<void> {
    await this.listen(this.downPort);
  }

  async close(): Promise<void> {
    await closeServer(this.server);
  }

  failNext(kind: SearchFault, count = 1): void {
    this.faults.failNext(kind, count);
  }

  setFaults(plan: FaultPlan<SearchFault> | null): void {
    this.faults.set(plan);
  }

  /** The next `count` requests other than `_bulk` fail this way. */
  failNextAdmin(kind: AdminFault, count = 1): void {
    this.adminFaults.failNext(kind, count);
  }

  setAdminFaults(plan: FaultPlan<AdminFault> | null): void {
    this.adminFaults.set(plan);
  }

  /** The ISM policy managing each index, by index name (OpenSearch). */
  ismManaged(): Map<string, string> {
    return this.lifecycle.managed.policies();
  }

  /** Documents by _id across a data stream's backing indices (or one index). */
  documents(target: string): Map<string, Json> {
    const out = new Map<string, Json>();
    for (const index of this.cluster.resolve(target)) {
      for (const [id, doc] of index.docs) out.set(id, doc.source);
    }
    return out;
  }

  /** Deletes documents behind the writer's back (Cluster.removeDocuments). */
  removeDocuments(target: string, ids: Iterable<string>): number {
    return this.cluster.removeDocuments(target, ids);
  }

  /** How many times each _id was created, over all targets. */
  idCounts(): Map<string, number> {
    return this.cluster.idCounts;
  }

  /** Names of data streams and of plain indices (backing indices are not listed). */
  targets(): string[] {
    const plain = [...this.cluster.indices.values()]
      .filter((i) => !i.dataStream)
      .map((i) => i.name);
    return [...this.cluster.streams.keys(), ...plain];
  }

  templates(): Map<string, Json> {
    return this.store.put.index;
  }

  componentTemplates(): Map<string, Json> {
    return this.store.put.component;
  }

  /** ILM policies (Elasticsearch) or ISM policies (OpenSearch), as PUT. */
  policies(): Map<string, Json> {
    return this.lifecycle.put;
  }

  /** The mapping of an index, or of a data stream's write index. */
  mappingOf(target: string): Json | undefined {
    const stream = this.cluster.streams.get(target);
    const name = stream ? stream.indices[stream.indices.length - 1] : target;
    return name === undefined ? undefined : this.cluster.indices.get(name)?.mapping.toJSON();
  }

  /** Back to a fresh node: no data, built-in templates only, no records. Faults stay. */
  reset(): void {
    this.cluster.reset();
    this.store.reset();
    this.lifecycle.reset();
    this.requests.length = 0;
    this.status.clear();
  }

  private record(req: IncomingMessage, status: number, items: number): void {
    if (status > 0) this.status.set(status, (this.status.get(status) ?? 0) + 1);
    this.requests.push({
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      status,
      items,
    });
  }

  private send(
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
    extra: Record<string, string | string[]>,
    media: string | undefined,
  ): void {
    const query = new URL(req.url ?? "/", "http://fake").searchParams;
    let text = "";
    const headers: Record<string, string | string[]> = { ...extra };
    if (typeof reply.body === "string") {
      text = reply.body;
      if (text !== "") headers["content-type"] = "text/plain; charset=UTF-8";
    } else if (reply.body !== undefined) {
      const filtered =
        reply.status < 300 ? filterPath(reply.body, query.get("filter_path")) : reply.body;
      text = query.has("pretty") ? JSON.stringify(filtered, null, 2) : JSON.stringify(filtered);
      headers["content-type"] = media ?? "application/json; charset=UTF-8";
    }
    headers["content-length"] = String(Buffer.byteLength(text));
    this.record(req, reply.status, reply.items ?? 0);
    res.writeHead(reply.status, headers);
    res.end(text);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const flavor = this.flavor;
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const parsed = new URL(url, "http://fake");
    let product = productHeader(flavor);
    let media: string | undefined;
    try {
      const body = await readBody(req, this.options.maxContentLength ?? 100 * 1024 * 1024);
      const hasBody = body.raw.length > 0;
      let user = "anonymous";
      if (this.options.aws || !flavor.es) user = authenticate(this.options, flavor, req, body.raw);
      media = checkCompatibility(flavor, req, hasBody);
      const { route, args } = findRoute(flavor, parsed.pathname, method, url);
      if (hasBody) checkContentType(flavor, req);
      if (flavor.es && !this.options.aws) user = authenticate(this.options, flavor, req, body.raw);
      checkParams(parsed.pathname, parsed.searchParams, route.params);
      const action = route.methods[method];
      if (this.options.privileges === "write-only" && action !== undefined)
        throw forbidden(this.flavor, action, user, args[0]);
      let itemFault: "item-429" | "item-503" | null = null;
      let fault: SearchFault | null = null;
      if (route.name !== "bulk") {
        fault = this.adminFaults.next();
        if (fault === "reset-before") {
          this.record(req, 0, 0);
          res.socket?.destroy();
          return;
        }
        if (fault === "429" || fault === "503")
          throw adminOverloaded(fault, fault === "503" ? ++this.unavailable : 0);
      } else {
        fault = this.faults.next();
        if (fault === "reset-before") {
          this.record(req, 0, 0);
          res.socket?.destroy();
          return;
        }
        if (fault === "429" || fault === "503")
          throw overloaded(fault, body.raw.length, fault === "503" ? ++this.unavailable : 0);
        if (fault === "slow")
          await new Promise((resolve) => setTimeout(resolve, this.options.slowMs ?? 2_000));
        if (fault === "item-429" || fault === "item-503") itemFault = fault;
      }
      const reply = route.handle({
        flavor,
        options: this.options,
        cluster: this.cluster,
        templates: this.store,
        lifecycle: this.lifecycle,
        query: parsed.searchParams,
        method,
        text: body.text,
        args,
        uuid: this.uuid,
        itemFault,
        user,
      });
      if (reply.created) this.options.onIndexed?.(reply.created);
      if (fault === "reset-after") {
        // Applied, never acknowledged: the client cannot tell, and re-sends. A real cause of duplicates.
        this.record(req, 0, reply.items ?? 0);
        res.socket?.destroy();
        return;
      }
      this.send(req, res, reply, product, media);
    } catch (error) {
      if (!(error instanceof HttpError)) {
        const reason = error instanceof Error ? error.message : JSON.stringify(error);
        this.send(
          req,
          res,
          { status: 500, body: errorBody(500, esError("exception", reason)) },
          product,
          media,
        );
        return;
      }
      // Netty's 413 and the security layer's 401 come before ES adds its product header; AWS's
      // gateway answers never reach the cluster at all.
      if (
        error.status === 401 ||
        error.status === 413 ||
        (this.options.aws &&
          error.status === 403 &&
          typeof error.body === "object" &&
          "message" in error.body)
      ) {
        product = {};
      }
      this.send(
        req,
        res,
        { status: error.status, body: error.body },
        { ...product, ...error.headers },
        media,
      );
    }
  }
}

export async function startSearch(options: SearchOptions = {}): Promise<SearchFake> {
  return new SearchFake(options).listen();
}
