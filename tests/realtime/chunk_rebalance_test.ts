/**
 * A rebalance and the forecaster's observers (`ChunkProcessor.rebalanced`):
 * the model monitor keeps the stations whose partitions stay with the process,
 * as if nothing had happened, and forgets those given away; a chunk that fails
 * half-way, or an abort, still forgets everything (its readings come again).
 */
import assert from "node:assert/strict";
import { ModelMonitor, type MonitorSnapshot } from "../../lib/monitoring/mod.ts";
import {
  type ForecastObserver,
  monitorObserver,
  RealtimeForecaster,
} from "../../lib/realtime/mod.ts";
import type { DeployedModels } from "../../lib/realtime/mod.ts";
import { ChunkProcessor, type RawMessage } from "../../lib/realtime/chunk.ts";
import { configWith, HOUR_MS, stationTs, T0 } from "../monitoring/_helpers.ts";
import { encode, makeReading, position, RULES } from "../quality/_helpers.ts";
import { validateMessage } from "../../lib/quality/mod.ts";
import { MemoryStore } from "../../lib/storage/mod.ts";

const NONE: DeployedModels = { blends: new Map(), halfWidths: new Map(), problems: [] };
/** A short error window (the alerts a retained station keeps: tests/monitoring/merge_test.ts). */
const CONFIG = configWith({ errors: { windowForecasts: 20 } });

/** Raw messages of `station`, hours `from..to`: a CO value that cycles, and jumps at hour 60. */
function hours(station: string, from: number, to: number): RawMessage[] {
  const out: RawMessage[] = [];
  for (let h = from; h <= to; h++) {
    const co = 1 + (h % 7) / 2 + (h >= 60 ? 4 : 0);
    const nox = 100 + 20 * (h % 5) + (h >= 60 ? 300 : 0);
    const reading = makeReading({ co_mg_m3: co, nox_ppb: nox }, {
      station_id: station,
      ts: stationTs(T0 + h * HOUR_MS),
    });
    out.push({ offset: String(h), key: station, value: encode(reading) });
  }
  return out;
}

function processor(
  ...more: ForecastObserver[]
): { chunks: ChunkProcessor; monitor: ModelMonitor } {
  const monitor = new ModelMonitor(CONFIG);
  const chunks = new ChunkProcessor({
    engine: new RealtimeForecaster(NONE, { utcOffsetMin: 60, warmupH: 24 }),
    observers: [monitorObserver(monitor, "test"), ...more],
    store: null,
    rules: RULES,
  });
  return { chunks, monitor };
}

/** Station "a" on partition 0 and "b" on partition 1, hours `from..to`, in chunks of 10 hours. */
async function feed(chunks: ChunkProcessor, stations: string[], from: number, to: number) {
  for (let h = from; h <= to; h += 10) {
    for (const [partition, station] of stations.entries()) {
      await chunks.process("raw", partition, hours(station, h, Math.min(to, h + 9)));
    }
  }
}

const stationOf = (s: MonitorSnapshot, id: string) => s.stations[id];

Deno.test("a rebalance keeps the monitor's stations of the partitions that stay, and only those", async () => {
  const moved = processor();
  await feed(moved.chunks, ["a", "b"], 0, 99);
  const before = moved.monitor.snapshot();
  assert.ok(before.counts.scored_baseline > 0, JSON.stringify(before.counts));
  assert.ok(stationOf(before, "b") !== undefined);
  moved.chunks.rebalanced([0]);
  assert.ok(moved.monitor.has("a"));
  assert.ok(!moved.monitor.has("b"), "partition 1 was given away: its station is forgotten");
  await feed(moved.chunks, ["a"], 100, 159);

  const stayed = processor(); // the same readings, no rebalance
  await feed(stayed.chunks, ["a", "b"], 0, 99);
  await feed(stayed.chunks, ["a"], 100, 159);
  const got = moved.monitor.snapshot(), want = stayed.monitor.snapshot();
  assert.deepEqual(stationOf(got, "a"), stationOf(want, "a"));
  assert.ok(
    (stationOf(got, "a")?.readings ?? 0) === 160,
    "station a's history spans the rebalance",
  );
  assert.deepEqual(Object.keys(got.stations), ["a"]);
  assert.equal(got.counts.readings, want.counts.readings, "the counts stay");
});

Deno.test("a station of a partition that comes back starts afresh, and an abort forgets all", async () => {
  const { chunks, monitor } = processor();
  await feed(chunks, ["a", "b"], 0, 29);
  chunks.rebalanced([0]);
  chunks.rebalanced([0, 1]); // b's partition comes back: another process may have read it since
  assert.ok(!monitor.has("b"));
  await feed(chunks, ["a", "b"], 30, 39);
  assert.equal(stationOf(monitor.snapshot(), "b")?.readings, 10);
  assert.equal(stationOf(monitor.snapshot(), "a")?.readings, 40);
  chunks.reset(); // a failed transaction: every uncommitted chunk is read again
  assert.equal(monitor.stations, 0);
});

Deno.test("a chunk that fails half-way forgets every station: its readings come again", async () => {
  let failAt = "";
  const failing: ForecastObserver = {
    observe: (r) => {
      if (r.ts === failAt) throw new Error("the store went away");
      return [];
    },
    forecasts: () => {},
    reset: () => {},
  };
  const { chunks, monitor } = processor(failing);
  await feed(chunks, ["a", "b"], 0, 9);
  assert.equal(monitor.stations, 2);
  failAt = stationTs(T0 + 15 * HOUR_MS);
  await assert.rejects(chunks.process("raw", 0, hours("a", 10, 19)), /the store went away/);
  assert.equal(monitor.stations, 0, "the readings before the failure were fed in");
});

Deno.test(
  "a warm start gives an observer the hours it asks for (warmHours), the engine its own span",
  async () => {
    const store = new MemoryStore();
    const first = new ChunkProcessor({
      engine: new RealtimeForecaster(NONE, { utcOffsetMin: 60, warmupH: 24 }),
      observers: [],
      store,
      rules: RULES,
    });
    for (let h = 0; h < 300; h += 50) {
      const messages = hours("a", h, h + 49);
      const out = await first.process("raw", 0, messages);
      const readings = messages.map((m) => {
        const result = validateMessage(
          m.value,
          { source: position(), key: "a", now: Date.now() },
          RULES,
        );
        assert.ok(result.ok);
        return result.reading;
      });
      await store.writeBatch({ readings, deadLetters: [], forecasts: out.stored.forecasts });
    }
    const seen: { history: number[]; recent: number; span: number[] } = {
      history: [],
      recent: 0,
      span: [],
    };
    const spy: ForecastObserver = {
      observe: () => [],
      forecasts: () => {},
      reset: () => {},
      warmHours: 200,
      warm: (_id, history, recent, span) => {
        seen.history = history.map((r) => (r.ts_utc_ms - T0) / HOUR_MS);
        seen.recent = recent.length;
        seen.span = [...new Set(span.map((f) => (Date.parse(f.ts) - T0) / HOUR_MS))];
      },
    };
    const engine = new RealtimeForecaster(NONE, { utcOffsetMin: 60, warmupH: 24 });
    const second = new ChunkProcessor({ engine, observers: [spy], store, rules: RULES });
    const out = await second.process("raw", 0, hours("a", 300, 300));
    const range = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i);
    assert.deepEqual(seen.history, range(100, 299)); // 200 hours, more than the engine's 169
    assert.deepEqual(seen.span, range(100, 299));
    assert.equal(seen.recent, 24 * 12); // the last day's forecasts: 24 readings x 12
    assert.equal(out.counts.warm_start_readings, engine.historyH); // the engine took its own
  },
);
