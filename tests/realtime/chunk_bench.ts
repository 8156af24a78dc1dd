/**
 * The forecaster's processing without Kafka or a store, on one core: the raw
 * messages of N virtual stations (the real UCI year, fixed seed) through
 * `ChunkProcessor` in chunks of 250 (validation, engine with the trained
 * models in var/models, forecast-set JSON), with and without the alerter and
 * the model monitor. It bounds what one forecaster process can do on this
 * machine, whatever the Kafka client. Prints JSON; each variant is the
 * median of `--rounds` runs on a fresh engine.
 *
 * ```sh
 * deno task train   # the models it forecasts with
 * deno run --no-prompt --allow-read --allow-env tests/realtime/chunk_bench.ts [--stations 5] [--rounds 3]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { ALERTS_CONFIG_FILE, AlertsConfigSchema, PollutionAlerter } from "../../lib/alerts/mod.ts";
import { CONFIG_DIR, loadConfig } from "../../lib/config/mod.ts";
import { readUciFile } from "../../lib/dataset/mod.ts";
import {
  loadExpectedErrors,
  ModelMonitor,
  MONITORING_CONFIG_FILE,
  MonitoringConfigSchema,
} from "../../lib/monitoring/mod.ts";
import { QUALITY_CONFIG_FILE, QualityRulesSchema } from "../../lib/quality/mod.ts";
import {
  alerterObserver,
  loadDeployedModels,
  monitorObserver,
  RealtimeForecaster,
} from "../../lib/realtime/mod.ts";
import { ChunkProcessor, type RawMessage } from "../../lib/realtime/chunk.ts";
import { replay } from "../../lib/replay/replay.ts";
import { virtualStations } from "../../lib/replay/stations.ts";
import { UCI_PATH } from "../_data.ts";
import { ChunkResultSchema } from "../../lib/records/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    stations: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
  },
});
const stations = Number(values.stations);
const rounds = Number(values.rounds);
const MODELS = "var/models";
const EVALUATION = "var/evaluation.json";

const rules = await loadConfig(new URL(QUALITY_CONFIG_FILE, CONFIG_DIR), QualityRulesSchema);
const alertsConfig = await loadConfig(new URL(ALERTS_CONFIG_FILE, CONFIG_DIR), AlertsConfigSchema);
const monitoringConfig = await loadConfig(
  new URL(MONITORING_CONFIG_FILE, CONFIG_DIR),
  MonitoringConfigSchema,
);
const models = await loadDeployedModels(MODELS, EVALUATION, 60);
if (models.blends.size === 0) {
  throw new Error(`no trained models in ${MODELS}: run deno task train`);
}
const expected = loadExpectedErrors(JSON.parse(await Deno.readTextFile(EVALUATION)));

const encoder = new TextEncoder();
const messages: RawMessage[] = [];
for await (
  const event of replay(() => readUciFile(UCI_PATH, { utcOffset: "+01:00" }), {
    stations: virtualStations(stations, 42),
    seed: 42,
  })
) {
  const reading = { ...event.reading, produced_at: "2026-12-04T16:00:00.000Z" };
  messages.push({
    offset: String(messages.length),
    key: reading.station_id,
    value: encoder.encode(JSON.stringify(reading)),
  });
}

/** Readings per second of one pass over the messages on a fresh engine. */
async function pass(withObservers: boolean): Promise<number> {
  const engine = new RealtimeForecaster(models, { utcOffsetMin: 60, warmupH: 24 });
  const observers = withObservers
    ? [
      alerterObserver(new PollutionAlerter(alertsConfig)),
      monitorObserver(new ModelMonitor(monitoringConfig, { expected, reference: null }), "bench"),
    ]
    : [];
  const chunks = new ChunkProcessor({ engine, observers, store: null, rules });
  const t0 = performance.now();
  let sets = 0;
  for (let i = 0; i < messages.length; i += 250) {
    sets += (await chunks.process("raw", 0, messages.slice(i, i + 250))).forecasts.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (sets !== messages.length) throw new Error(`${sets} sets for ${messages.length} readings`);
  return messages.length / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const withObservers: number[] = [];
const without: number[] = [];
for (let r = 0; r < rounds; r++) {
  withObservers.push(await pass(true));
  without.push(await pass(false));
}
// deno-lint-ignore no-console
console.log(JSON.stringify(
  ChunkResultSchema.parse({
    readings: messages.length,
    stations,
    rounds,
    readings_per_s_with_observers: Math.round(median(withObservers)),
    readings_per_s_without_observers: Math.round(median(without)),
    all_rounds: { with_observers: withObservers.map(Math.round), without: without.map(Math.round) },
    machine: { cpus: navigator.hardwareConcurrency, deno: Deno.version.deno },
  }),
  null,
  2,
));
