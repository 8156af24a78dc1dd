/**
 * Counting the pages of a PDF (as Chromium prints it), to hold the final
 * report to its page budget.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */

/**
 * Pages of a PDF: its `/Type /Page` objects (not `/Pages`, the tree's inner
 * nodes). Chromium writes page dictionaries uncompressed; throws a `RangeError`
 * when there are none (not a PDF, or one whose objects are all compressed).
 */
export function pdfPageCount(bytes: Uint8Array): number {
  const text = new TextDecoder("latin1").decode(bytes);
  if (!text.startsWith("%PDF-")) throw new RangeError("not a PDF (no %PDF- header)");
  const pages = text.match(/\/Type\s*\/Page(?![A-Za-z])/g)?.length ?? 0;
  if (pages === 0) throw new RangeError("no /Type /Page object found in the PDF");
  return pages;
}
