// Every sink, in one list: the settings, the factory, `check` and `setup` read it and name no sink
// themselves. A new sink is a folder whose index.ts exports one SinkModule, and one line here
// (docs/adding-a-sink.md). The first is the one "required but not set" names.

import type { Logger } from "pino";
import type { DocumentFormat, Sink } from "../interfaces.ts";
import { elasticsearch } from "./elasticsearch/index.ts";
import { logstash } from "./logstash/index.ts";
import type { SinkModule, SinkSettings } from "./module.ts";

const BUILT_IN = [logstash, elasticsearch] as const;

export const SINKS: SinkModule[] = [...BUILT_IN];

/** The settings of any built-in sink, told apart by `kind`. */
export type SinkConfig = (typeof BUILT_IN)[number] extends infer M
  ? M extends SinkModule<infer C>
    ? C
    : never
  : never;

/**
 * Adds a sink to the list, for tests only (a toy sink through the registry alone): call it before
 * the settings are loaded (config/ reads the list once, when first imported).
 */
export function registerSink<C extends SinkSettings>(module: SinkModule<C>): void {
  if (SINKS.some((known) => known.kind === module.kind)) {
    throw new Error(`a sink of kind ${module.kind} is listed already`);
  }
  SINKS.push(module as unknown as SinkModule);
}

/** The module of a sink's settings. */
export function sinkModule(sink: SinkSettings): SinkModule {
  const module = SINKS.find((known) => known.kind === sink.kind);
  if (module === undefined) throw new Error(`no sink of kind ${sink.kind}`);
  return module;
}

/** The sink as settings describe it, before it has been contacted (the product is not known yet). */
export function describeSink(sink: SinkSettings): string {
  return sinkModule(sink).describe(sink);
}

/** Opens the sink a job's settings chose. */
export function openSink(
  job: { sink: SinkSettings; requestTimeoutMs: number; documentFormat: DocumentFormat },
  deps: { logger: Logger },
): Promise<Sink> {
  return sinkModule(job.sink).open(job.sink, {
    timeoutMs: job.requestTimeoutMs,
    format: job.documentFormat,
    logger: deps.logger,
  });
}

export type { SetupTarget, SinkModule, SinkSettings } from "./module.ts";
