import assert from "node:assert/strict";
import fc from "fast-check";
import { PollutionAlerter } from "../../lib/alerts/mod.ts";
import type { Alert } from "../../lib/records/mod.ts";
import { checked, CONFIG, NOW, reading } from "./_helpers.ts";
import { referenceEpisodes } from "./_reference.ts";

const pure = { permissions: "none" } as const;
const SIZE = { "1h": 1, "8h_running_max_daily": 8, "24h": 24 } as const;

type Hour = { no2_ug_m3?: number | null; co_mg_m3?: number | null };

/**
 * Episodes of low or high pollution, 1-30 hours each, with hourly wobble and
 * holes: a missing NO2 or CO value, or no reading at all.
 */
const segment = fc.record({
  hours: fc.integer({ min: 1, max: 30 }),
  no2: fc.oneof(fc.integer({ min: 5, max: 20 }), fc.integer({ min: 150, max: 260 })),
  co: fc.oneof(
    fc.integer({ min: 5, max: 30 }).map((x) => x / 10),
    fc.integer({ min: 90, max: 160 }).map((x) => x / 10),
    fc.constant(36),
  ),
  wobble: fc.array(fc.integer({ min: -30, max: 30 }), { minLength: 30, maxLength: 30 }),
  holes: fc.array(fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 1, 2, 3), { minLength: 30, maxLength: 30 }),
});

const series = fc.array(segment, { minLength: 1, maxLength: 8 }).map((segments) =>
  segments.flatMap((s) =>
    Array.from({ length: s.hours }, (_, k): Hour | undefined => {
      const hole = s.holes[k]!, w = s.wobble[k]!;
      if (hole === 2) return undefined; // no reading this hour
      return {
        no2_ug_m3: hole === 1 ? null : Math.max(0, s.no2 + w),
        co_mg_m3: hole === 3 ? null : Math.max(0, Math.round((s.co + w / 30) * 10) / 10),
      };
    })
  )
);

Deno.test("observe() fires and resolves exactly where the plain reference does", pure, () => {
  const seen = new Map<string, number>();
  fc.assert(
    fc.property(series, (hours) => {
      const alerter = new PollutionAlerter(CONFIG);
      const alerts: Alert[] = [];
      hours.forEach((m, h) => {
        if (m !== undefined) alerts.push(...alerter.observe(reading(h, m), NOW));
      });
      checked(alerts);
      for (const limit of CONFIG.limits) {
        const field = limit.field as "no2_ug_m3" | "co_mg_m3";
        const values = hours.map((m) => m === undefined ? undefined : m[field] ?? null);
        const expected = referenceEpisodes(values, limit, CONFIG);
        const at = (state: Alert["state"]) =>
          alerts.filter((a) =>
            a.kind === "exceedance" && a.state === state && a.field === limit.field &&
            a.evidence.window.size === SIZE[limit.averaging] &&
            (state === "resolved"
              ? a.evidence.threshold < limit.threshold
              : a.evidence.threshold === limit.threshold)
          ).map((a) => (Date.parse(a.event_ts) - Date.parse(reading(0, {}).ts)) / 3_600_000);
        assert.deepEqual(at("firing"), expected.fired, `${limit.id} fired`);
        seen.set(limit.id, (seen.get(limit.id) ?? 0) + expected.resolved.length);
        assert.deepEqual(at("resolved"), expected.resolved, `${limit.id} resolved`);
      }
    }),
    { seed: 20040310, numRuns: 300 },
  );
  // the generated series do cross every limit, and fall back below it
  for (const l of CONFIG.limits) assert.ok(seen.get(l.id)! > 0, `${l.id} never resolved`);
});
