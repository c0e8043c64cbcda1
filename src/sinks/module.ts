// What a sink brings to the program, in one object: its settings, which of them choose it, how its
// secrets look once derived, how it is described, and how it is opened. The settings (config/),
// the factory, `check`, `setup` and the tenants file read these through the list in sinks/index.ts
// and name no sink themselves: a new sink is a folder with an index.ts exporting one SinkModule,
// and one line in that list (docs/adding-a-sink.md).

import type { Logger } from "pino";
import type { DocumentFormat, SendContext, Sink } from "../interfaces.ts";
import type { SettingDefinition } from "../settings-kit/schemas.ts";

/** A sink's validated settings: its own shape, told apart by `kind` (the module's). */
export interface SinkSettings {
  readonly kind: string;
}

/** What every sink is opened with, besides its own settings. */
export interface SinkOpenOptions {
  /** REQUEST_TIMEOUT: one HTTP request's limit. */
  timeoutMs: number;
  format: DocumentFormat;
  logger: Logger;
}

/** What `setup` prepares for the tenants writing to one place, with the job settings it reads. */
export interface SetupTarget<C extends SinkSettings = SinkSettings> {
  sink: C;
  documentFormat: DocumentFormat;
  requestTimeoutMs: number;
  retryMaxTimeMs: number;
  exporterLogLevel: string;
  warnings: string[];
  tenants: string[];
}

/** A sink that has something to install before it is written to (`setup`). */
export interface SinkSetup<C extends SinkSettings = SinkSettings> {
  /** Said when no setting chooses it, where `setup` needs one. */
  required: string;
  /** Said when no tenant of the tenants file (`file`) chooses it. */
  requiredInFile(file: string): string;
  /**
   * Said after "choose one sink" when another sink is chosen beside this one (`setting`): `setup`
   * reads this sink's settings beside another's.
   */
  beside(setting: string): string;
  /** Tenants writing to the same place with the same format are prepared once: their key. */
  key(target: SetupTarget<C>): string;
  /** Problems between targets that would undo each other's setup. */
  conflicts(targets: { tenant: string; sink: C; format: DocumentFormat }[]): string[];
  /** Prepares one target (or with `dry`, says what it would do), writing lines for people. */
  run(
    target: SetupTarget<C>,
    options: { dry: boolean; logger: Logger; write(text: string): void },
  ): Promise<void>;
}

export interface SinkModule<C extends SinkSettings = SinkSettings> {
  /** Its settings' kind, and its name in metrics labels: "logstash". */
  readonly kind: C["kind"];
  /** Its name for people, as `check` names its step: "Logstash". */
  readonly label: string;
  /** What choosing it means, as "choose one sink: …" lists it: "Logstash's http input". */
  readonly choice: string;
  /** Its rows of the settings table, in the table's order. */
  readonly settings: SettingDefinition[];
  /**
   * The settings that choose it when set, valid or not (an invalid value is reported, and still
   * says which sink is meant); the first is its main one. Exactly one sink must be chosen.
   */
  readonly selectedBy: string[];
  /** DOCUMENT_FORMAT when unset. */
  readonly defaultFormat: DocumentFormat;
  /**
   * Its settings from the job's parsed values, or undefined with the problems pushed; called when
   * it is chosen, also when its main setting did not parse (to say what else is missing).
   */
  configFrom(
    parsed: Record<string, unknown>,
    problems: string[],
    warnings: string[],
  ): C | undefined;
  /** Problems with the job's other settings when it is chosen (a field it cannot write). */
  refuses?(parsed: Record<string, unknown>): string[];
  /** Every form in which its settings' secrets could be shown or sent, to be masked. */
  secretForms(config: C): (string | undefined)[];
  /** Before it is opened, for people (no credentials): "Logstash https://host:8080". */
  describe(config: C): string;
  /** Where it writes, for people, with the name tenants would share: "… index auth0". */
  place(config: C): string;
  /** Two tenants with the same key write to the same place. */
  overlapKey(config: C): string;
  /** The setting that gives a tenant a place of its own: "LOGSTASH_INDEX". */
  readonly placeSetting: string;
  /** The data stream it writes to, for the ECS documents' data_stream fields; null: none. */
  dataStream?(config: C): { dataset: string; namespace: string } | null;
  open(config: C, options: SinkOpenOptions): Promise<Sink>;
  /**
   * `check`'s step for it, when it says more than Sink.check (what could not be verified, as
   * warnings); the sink is one this module opened.
   */
  verify?(sink: Sink, context: SendContext): Promise<{ detail: string; warnings: string[] }>;
  setup?: SinkSetup<C>;
}
