/**
 * The key of evaluate's caches (SARIMA walk-forward, sequence model): the
 * SHA-256, in hex, of the JSON of what a result depends on followed by the
 * raw bytes of the series columns it reads. Both caches build their keys
 * here, so a file written by one version is found by the next as long as
 * neither the head nor the columns change.
 *
 * @module
 */

/** SHA-256 hex of `JSON.stringify(head)` then each column's bytes. */
export async function cacheKey(head: unknown, columns: readonly Float64Array[]): Promise<string> {
  const parts = [
    new TextEncoder().encode(JSON.stringify(head)),
    ...columns.map((c) => new Uint8Array(c.buffer, c.byteOffset, c.byteLength)),
  ];
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
