// A toy sink, written as a sink's folder would be (src/sinks/<name>/index.ts): its settings rows,
// the setting that chooses it, its secret forms, and a Sink that keeps documents in memory. It joins
// the program through the registry alone (test/sink-registry.test.ts): nothing else names it.

import { SinkError } from "../../src/errors.ts";
import type {
  DeliveryReport,
  SendContext,
  Sink,
  SinkBatch,
  SinkInfo,
} from "../../src/interfaces.ts";
import { type SettingDefinition, text } from "../../src/settings-kit/schemas.ts";
import { registerSink, type SinkModule } from "../../src/sinks/index.ts";
import { retryFor, withRetry } from "../../src/util/retry.ts";

export interface ToyConfig {
  kind: "toy";
  /** The name of the in-memory place it writes to. */
  place: string;
  token: string | undefined;
}

/** What each toy place received: how many times each id arrived, and failures to come. */
export const places = new Map<string, { ids: Map<string, number>; failures: number }>();

const settings: SettingDefinition[] = [
  {
    name: "TOY_PLACE",
    group: "Toy",
    scope: "job",
    example: "box",
    description: "Selects the toy sink: the in-memory place it writes to.",
    schema: text,
  },
  {
    name: "TOY_TOKEN",
    group: "Toy",
    scope: "job",
    secret: true,
    example: "(a token)",
    description: "The toy sink's token.",
    schema: text,
  },
];

class ToySink implements Sink {
  readonly info: SinkInfo;
  private readonly place: string;

  constructor(config: ToyConfig) {
    this.place = config.place;
    this.info = { kind: "toy", target: `Toy ${config.place}` };
  }

  private get state() {
    let state = places.get(this.place);
    if (state === undefined) {
      state = { ids: new Map(), failures: 0 };
      places.set(this.place, state);
    }
    return state;
  }

  async send(batch: SinkBatch, context: SendContext): Promise<DeliveryReport> {
    await withRetry(
      async () => {
        if (this.state.failures > 0) {
          this.state.failures--;
          throw new SinkError("toy: busy", { retryable: true, status: 503 });
        }
        for (const id of batch.ids) this.state.ids.set(id, (this.state.ids.get(id) ?? 0) + 1);
      },
      retryFor("sink", context),
    );
    return { delivered: batch.documents.length, rejected: [] };
  }

  async check(): Promise<string | undefined> {
    return "the toy place is there";
  }

  async close(): Promise<void> {}
}

export const toy: SinkModule<ToyConfig> = {
  kind: "toy",
  label: "Toy",
  choice: "the toy sink",
  settings,
  selectedBy: ["TOY_PLACE"],
  defaultFormat: "log-streams",
  configFrom(parsed) {
    if (parsed.TOY_PLACE === undefined) return undefined;
    return { kind: "toy", place: parsed.TOY_PLACE as string, token: parsed.TOY_TOKEN as string };
  },
  secretForms: (sink) => [sink.token, sink.token && `toy:${sink.token}`],
  describe: (sink) => `Toy ${sink.place}`,
  place: (sink) => `Toy ${sink.place}`,
  overlapKey: (sink) => sink.place,
  placeSetting: "TOY_PLACE",
  open: async (sink) => new ToySink(sink),
};

// Listed before the settings are first read: this module is imported before config/.
registerSink(toy);
