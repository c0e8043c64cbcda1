// The stream's only credential is the Authorization value it sends, verbatim (Auth0 signs nothing):
// compared in constant time, so that the time an answer takes tells nothing of how much matched.

import { createHash, timingSafeEqual } from "node:crypto";

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/**
 * Whether `given` is `expected`, in a time that depends on neither (both are hashed first, so
 * lengths differ freely). An empty `expected` matches nothing.
 */
export function sameToken(given: string, expected: string): boolean {
  const equal = timingSafeEqual(digest(given), digest(expected));
  return equal && expected !== "";
}
