// Every failure the exporter reports is one of these: a message fit to show a user (never a secret,
// never a stack trace) and a verdict on whether trying again may help.

export class ExporterError extends Error {
  readonly retryable: boolean;
  /** Seconds-precision instant before which a retry is pointless (a rate limit's reset). */
  readonly retryAt: number | undefined;
  /** The HTTP status that caused it, when one did. */
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { retryable: boolean; retryAt?: number; status?: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable;
    this.retryAt = options.retryAt;
    this.status = options.status;
  }
}

/** A setting or argument is wrong: nothing ran, exit status 2. */
export class ConfigError extends ExporterError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join("\n"), { retryable: false });
    this.problems = problems;
  }
}

/** Auth0 answered in a way that trying again will not fix (bad credentials, malformed data). */
export class SourceError extends ExporterError {}

/** The sink refused or failed a batch. */
export class SinkError extends ExporterError {}

/** The store could not be read or written. */
export class StoreError extends ExporterError {}

/**
 * The store did not answer within DATABASE_TIMEOUT: the call was abandoned. Worth trying again;
 * a write may or may not have taken effect, which the store's fenced, compare-and-set writes make
 * safe to try again.
 */
export class StoreTimeoutError extends StoreError {
  constructor(message: string, cause?: unknown) {
    super(message, { retryable: true, cause });
  }
}

/** Another live process holds the store's jobs (SQLite: one exporting process per store): exit 1, naming it. */
export class StoreBusyError extends ExporterError {
  constructor(message: string) {
    super(message, { retryable: false });
  }
}

/** The checkpoint was moved by someone else (a replay) while an execution was committing. */
export class CheckpointMovedError extends ExporterError {
  constructor(reason = "a replay") {
    super(
      `the checkpoint was moved by ${reason} during this execution; it stopped to let it stand`,
      {
        retryable: false,
      },
    );
  }
}

/**
 * The checkpoint moved under an execution, by neither a replay nor START_FROM: another execution
 * of the job committed (or set the first look-back) meanwhile. Not a replay, so not restarted
 * from it; the next execution resumes from the stored checkpoint.
 */
export class CheckpointConflictError extends ExporterError {
  constructor(by: string) {
    super(
      `the checkpoint was moved by ${by} during this execution, not by a replay; it stopped without committing, and the next execution resumes from the stored checkpoint`,
      { retryable: false },
    );
  }
}

/**
 * Another process holds the job's lease: this one must not export (it would send everything a
 * second time) and, if it was exporting, stops without committing and without starting again.
 */
export class LeaseLostError extends ExporterError {
  constructor(message: string) {
    super(message, { retryable: false });
  }
}

/** The execution was stopped on purpose (a signal); what was acknowledged is committed. */
export class AbortedError extends ExporterError {
  constructor(message = "stopped before caught up") {
    super(message, { retryable: false });
  }
}

export function isRetryable(error: unknown): boolean {
  return error instanceof ExporterError ? error.retryable : false;
}

/** A one-line description of any thrown value, safe to show once secrets are masked. */
export function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
