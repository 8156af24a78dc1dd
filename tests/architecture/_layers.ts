/**
 * The layering rule of the code base, as data: which layer each module is in.
 * `layers_test.ts` reads every import in the repository and fails when a
 * module imports one of a higher layer, and checks docs/architecture.md's
 * table against these rules.
 *
 * @module
 */

/** A layer, lowest first. A module may import its own layer and the ones below. */
export interface Layer {
  name: string;
  /** Path prefixes (folders end in `/`) or exact files, relative to the repository root. */
  paths: string[];
}

/** The layers, lowest first. The longest matching path wins, so a file can sit apart from its folder. */
export const LAYERS: Layer[] = [
  {
    name: "foundation",
    paths: [
      "lib/records/",
      "lib/config/",
      "lib/hour_ring.ts",
      "lib/random.ts",
      "lib/timing.ts",
      "lib/stop.ts",
      "lib/log.ts",
    ],
  },
  {
    name: "core",
    paths: [
      "lib/dataset/uci_csv.ts",
      "lib/realtime/engine.ts",
      "lib/realtime/engine_options.ts",
      "lib/realtime/engine_records.ts",
      "lib/realtime/live_intervals.ts",
      "lib/realtime/models.ts",
      "lib/realtime/compiled_blend.ts",
      "lib/realtime/observers.ts",
      "lib/realtime/retrain.ts",
      "lib/realtime/sarima_models.ts",
      "lib/realtime/serialize.ts",
      "lib/realtime/station_time.ts",
      "lib/alerts/",
      "lib/analysis/",
      "lib/features/",
      "lib/models/",
      "lib/monitoring/",
      "lib/offline/",
      "lib/quality/",
      "lib/render/",
      "lib/replay/",
      "lib/reports/",
      "lib/scoring/",
    ],
  },
  {
    name: "edge",
    paths: [
      "lib/dataset/",
      "lib/offline/load.ts",
      "lib/offline/artifact_files.ts",
      "lib/offline/sequence_cache.ts",
      "lib/offline/sarima_cache.ts",
      "lib/offline/evaluate_workers.ts",
      "lib/offline/evaluate_worker.ts",
      "lib/realtime/",
      "lib/dashboard/",
      "lib/kafka/",
      "lib/metrics/",
      "lib/pipeline/",
      "lib/storage/",
      "lib/web/",
    ],
  },
  { name: "harness", paths: ["lib/harness/", "lib/cli/"] },
  {
    name: "entry",
    paths: ["producer.ts", "consumer.ts", "services/", "tools/", "apps/", "tests/"],
  },
];

/** Foundation and core modules that may use `Deno.*` (config loading, logging, signals). */
export const IO_IN_LOW_LAYERS: string[] = ["lib/config/mod.ts", "lib/log.ts", "lib/stop.ts"];

/** The only modules that may import each I/O package. */
export const PACKAGE_OWNERS: Record<string, string[]> = {
  "kafkajs": ["lib/kafka/client.ts"],
  "prom-client": ["lib/metrics/registry.ts"],
  "node:sqlite": ["lib/storage/sqlite.ts"],
  "postgres": ["lib/storage/postgres.ts"],
  "redis": ["apps/leaderboard/lib/store.ts"],
  "@tensorflow/tfjs-core": ["lib/models/gru.ts"],
  "@tensorflow/tfjs-layers": ["lib/models/gru.ts"],
  "@tensorflow/tfjs-backend-cpu": ["lib/models/gru.ts"],
  "@tensorflow/tfjs-backend-wasm": ["lib/models/gru.ts"],
};

/** What the leaderboard app may use from the shared lib/ (issue "One house"). */
export const LEADERBOARD_SHARES: string[] = [
  "lib/kafka/",
  "lib/config/",
  "lib/cli/",
  "lib/web/",
  "lib/harness/broker/",
  "lib/random.ts",
  "lib/stop.ts",
  "lib/log.ts",
];

/** The layer of a repository-relative path, or undefined when no rule names it. */
export function layerOf(path: string): number | undefined {
  let best: { layer: number; length: number } | undefined;
  LAYERS.forEach((layer, i) => {
    for (const p of layer.paths) {
      const hit = p.endsWith("/") ? path.startsWith(p) : path === p;
      if (hit && (best === undefined || p.length > best.length)) {
        best = { layer: i, length: p.length };
      }
    }
  });
  return best?.layer;
}
