// What a store driver brings to the program, in one object: which DATABASE_URL it takes, how that
// URL is checked before anything runs, and how it is opened. The settings and store/open.ts read
// the drivers through the list in store/index.ts and name no driver themselves.

import type { Store } from "../interfaces.ts";

export interface StoreDriver {
  /** Its name, as Store.kind says it: "sqlite". */
  readonly kind: string;
  /** The form of DATABASE_URL it takes, for messages: "sqlite:PATH". */
  readonly form: string;
  /** Whether DATABASE_URL names this driver's store (by its scheme). */
  takes(url: string): boolean;
  /** Why a URL it takes cannot be used, or undefined: said before anything runs. */
  urlProblem(url: string): string | undefined;
  /**
   * Several replicas may share the store (each holds the leases of its share of the jobs); false:
   * one process at a time, which the store itself enforces.
   */
  readonly sharedByReplicas: boolean;
  /** A server that may be down or not up yet at start: opening it is retried (store/open.ts). */
  readonly overNetwork: boolean;
  /** Opens the store, creating or upgrading it. */
  open(url: string, options: { timeoutMs?: number | undefined }): Promise<Store>;
  /** Opens a store that must exist, creating and changing nothing (read-only commands). */
  openExisting(url: string, options: { timeoutMs?: number | undefined }): Promise<Store>;
}
