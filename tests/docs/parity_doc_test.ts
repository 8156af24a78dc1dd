/**
 * docs/realtime.md's two parity tables (live against offline MAE, and the live intervals beside
 * evaluate's) are the committed bench-parity.json's: every cell, to the digits it shows. The
 * interval table had kept the numbers of an older run while the JSON moved on; this is what
 * catches that.
 *
 * @module
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";

const text = (path: string) => readFile(new URL(`../../${path}`, import.meta.url), "utf8");

interface ParityRow {
  target: string;
  horizon_h: number;
  n: number;
  live_mae: number;
  offline_mae: number;
  interval_n: number;
  live_coverage: number;
  offline_coverage: number;
  live_interval_score: number;
  offline_interval_score: number;
}

/** The body rows of the markdown table whose header row starts with `header`, split into cells. */
function tableAfter(markdown: string, header: string): string[][] {
  const lines = markdown.split("\n");
  const at = lines.findIndex((l) => l.startsWith(header));
  assert.ok(at >= 0, `no table headed ${header}`);
  const rows: string[][] = [];
  for (let i = at + 2; i < lines.length && lines[i]!.startsWith("|"); i++) {
    rows.push(lines[i]!.split("|").slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

/** Whether `shown` is `value` to the decimals `shown` has. */
function shows(shown: string, value: number): boolean {
  const decimals = shown.includes(".") ? shown.split(".")[1]!.length : 0;
  return Math.abs(Number(shown) - value) <= 0.5 * 10 ** -decimals + 1e-12;
}

/** The relative difference column: `+1.23 %`. */
function relative(shown: string, live: number, offline: number): boolean {
  return shows(shown.replace(" %", "").replace("+", ""), (live / offline - 1) * 100);
}

Deno.test("docs/realtime.md's parity tables are bench-parity.json's", async () => {
  const doc = await text("docs/realtime.md");
  const parity = JSON.parse(await text("docs/reports/bench-parity.json")) as {
    rows: ParityRow[];
  };
  const mae = tableAfter(doc, "| target   |  h |    n | live MAE |");
  const intervals = tableAfter(doc, "| target   |  h |    n | live coverage |");
  assert.equal(mae.length, parity.rows.length);
  assert.equal(intervals.length, parity.rows.length);
  parity.rows.forEach((r, i) => {
    const where = `${r.target} ${r.horizon_h} h`;
    const [target, h, n, live, offline, rel] = mae[i]!;
    assert.deepEqual([target, Number(h), Number(n)], [r.target, r.horizon_h, r.n], where);
    assert.ok(shows(live!, r.live_mae) && shows(offline!, r.offline_mae), `MAE of ${where}`);
    assert.ok(relative(rel!, r.live_mae, r.offline_mae), `MAE difference of ${where}`);
    const [t2, h2, n2, lc, oc, ls, os, rel2] = intervals[i]!;
    assert.deepEqual([t2, Number(h2), Number(n2)], [r.target, r.horizon_h, r.interval_n], where);
    assert.ok(shows(lc!, r.live_coverage) && shows(oc!, r.offline_coverage), `coverage ${where}`);
    assert.ok(
      shows(ls!, r.live_interval_score) && shows(os!, r.offline_interval_score),
      `interval score of ${where}`,
    );
    assert.ok(
      relative(rel2!, r.live_interval_score, r.offline_interval_score),
      `interval score difference of ${where}`,
    );
  });
});
