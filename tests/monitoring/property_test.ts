/**
 * Properties of ModelMonitor's scoring: whatever the interleaving of the
 * forecasts and readings topics (within the buffer) and however often a
 * message is redelivered, each forecast is scored once against the reading
 * of its target hour, and the MAE equals the direct computation.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { ModelMonitor } from "../../lib/monitoring/mod.ts";
import type { CleanReading, ForecastRecord } from "../../lib/records/mod.ts";
import { CONFIG, forecast, reading, STATION } from "./_helpers.ts";

const pure = { permissions: "none" } as const;
const HORIZONS = [1, 6, 24] as const;

type Message = { kind: "reading"; r: CleanReading } | { kind: "forecasts"; f: ForecastRecord[] };

const scenario = fc.record({
  hours: fc.integer({ min: 30, max: 120 }),
  seed: fc.integer(),
  /** How far (in messages) a message may move from its place: topics drift apart. */
  jitter: fc.integer({ min: 0, max: 40 }),
  duplicateShare: fc.double({ min: 0, max: 0.3, noNaN: true }),
});

Deno.test(
  "ModelMonitor scores each forecast once, whatever the interleaving and redeliveries",
  pure,
  () => {
    fc.assert(
      fc.property(scenario, ({ hours, seed, jitter, duplicateShare }) => {
        let state = seed >>> 0;
        const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
        const co = Array.from({ length: hours }, () => (random() < 0.2 ? null : 5 * random()));
        const value = (t: number, h: number) => co[t] === null ? null : co[t]! + h * random();
        // in order: the reading of hour t, then the forecasts made at it
        const inOrder: Message[] = [];
        const made: { t: number; h: number; v: number | null; baseline: boolean }[] = [];
        for (let t = 0; t < hours; t++) {
          inOrder.push({ kind: "reading", r: reading(t, { co_mg_m3: co[t]! }) });
          const f = HORIZONS.map((h) => {
            const m = { t, h, v: value(t, h), baseline: t < 5 };
            made.push(m);
            return forecast(t, "CO(GT)", h, m.v, { baseline: m.baseline });
          });
          inOrder.push({ kind: "forecasts", f });
        }
        // move each message by up to `jitter` places, and deliver some twice
        const keyed = inOrder.map((m, i) => ({ m, at: i + jitter * random() }));
        for (const k of [...keyed]) {
          if (random() < duplicateShare) keyed.push({ m: k.m, at: k.at + jitter * random() });
        }
        keyed.sort((a, b) => a.at - b.at);
        const monitor = new ModelMonitor(CONFIG);
        for (const { m } of keyed) {
          if (m.kind === "reading") monitor.observe(m.r, 0);
          else monitor.forecasts(m.f);
        }
        const rows = monitor.snapshot().stations[STATION]!.forecasts;
        for (const h of HORIZONS) {
          for (const baseline of [false, true]) {
            const errors = made
              .filter((m) => m.h === h && m.baseline === baseline && m.t + h < hours)
              .map((m) => m.v === null || co[m.t + h] === null ? NaN : Math.abs(m.v - co[m.t + h]!))
              .filter((e) => !Number.isNaN(e));
            const row = rows.find((r) => r.horizon_h === h)!;
            const n = baseline ? row.baseline_n_scored : row.n_scored;
            const mae = baseline ? row.baseline_mae_all : row.mae_all;
            assert.equal(n, errors.length, `h=${h} baseline=${baseline}`);
            if (errors.length > 0) {
              const expected = errors.reduce((s, e) => s + e, 0) / errors.length;
              assert.ok(Math.abs(mae! - expected) < 1e-9, `h=${h}: ${mae} vs ${expected}`);
            } else assert.equal(mae, null);
          }
        }
      }),
      { seed: 20050101, numRuns: 100 },
    );
  },
);
