// _bulk request bodies: NDJSON of a `create` action naming the document id (the Auth0 log_id, so
// that sending a document again cannot index it twice) and the source line, newline-terminated,
// and bounded in bytes: a page that would be larger goes in several requests.

export interface BulkItem {
  /** Position in the batch, so that answers map back to documents. */
  index: number;
  id: string;
  source: string;
}

/** The action line of a document: `create` is the only operation data streams accept. */
export function actionLine(id: string): string {
  return `{"create":{"_id":${JSON.stringify(id)}}}`;
}

export function bulkBody(items: readonly BulkItem[]): string {
  let body = "";
  for (const item of items) body += `${actionLine(item.id)}\n${item.source}\n`;
  return body;
}

function itemBytes(item: BulkItem): number {
  return Buffer.byteLength(item.source) + item.id.length + 16;
}

/** Splits items into requests of at most `maxBytes` (a single larger document goes alone). */
export function chunkItems(items: readonly BulkItem[], maxBytes: number): BulkItem[][] {
  const chunks: BulkItem[][] = [];
  let chunk: BulkItem[] = [];
  let size = 0;
  for (const item of items) {
    const bytes = itemBytes(item);
    if (chunk.length > 0 && size + bytes > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(item);
    size += bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
