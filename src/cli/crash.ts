// What the process does with a failure nothing caught: bin.ts installs it for uncaught exceptions
// and unhandled rejections. One log line in the exporter's own format (JSON, or a readable line on
// a terminal), masked like every other; the stack only when the log level is debug or trace.

import { describe } from "../errors.ts";
import { createLogger } from "../util/logger.ts";
import { mask } from "../util/secrets.ts";

export function crashHandler(
  env: Record<string, string | undefined>,
  out: { write(line: string): unknown; isTTY?: boolean } = process.stderr,
  exit: (code: number) => void = (code) => process.exit(code),
): (error: unknown) => void {
  return (error) => {
    try {
      const level = /^(debug|trace)$/i.test(env.EXPORTER_LOG_LEVEL ?? "") ? "debug" : "info";
      const logger = createLogger({
        level: env.DEBUG ? "debug" : level,
        human: Boolean(out.isTTY),
        destination: { write: (line) => out.write(line) },
      });
      // Masked before it is shortened: a cut could leave the first part of a secret.
      const message = mask(describe(error)).replace(/\s+/g, " ").slice(0, 500);
      logger.fatal(`unexpected failure, the process stops (a bug: please report it): ${message}`);
      const stack = error instanceof Error ? error.stack : undefined;
      if (stack) logger.debug({ stack }, "the unexpected failure's stack");
    } catch {
      out.write(`error: unexpected failure: ${mask(describe(error)).slice(0, 500)}\n`);
    }
    exit(1);
  };
}
