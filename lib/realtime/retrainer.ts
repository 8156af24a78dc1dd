/**
 * Retraining as data arrives, on the forecaster's side: when a reading is
 * past the next of evaluate's weekly boundaries, the stored readings of the
 * training station before the boundary are read and handed to the refit
 * worker (`retrain_worker.ts`); its answer (the challenger, promoted or not
 * by the rule) is applied between two readings: a promoted challenger is
 * installed in the engine at once (`RealtimeForecaster.install`), and a
 * `model_retrained` alert carries the decision through the chunk's
 * transaction to the alerts topic and the store. The versions served and the
 * events are the stored snapshot `forecaster.models`.
 *
 * Modes: `wait` makes the chunk wait for the refit at the boundary (every
 * reading from the boundary on is forecast by the refit's winner:
 * deterministic, for tests and `bench parity`); `background` lets
 * forecasting go on with the champion until the refit is done.
 *
 * @module
 */
import { getLogger } from "@logtape/logtape";
import { HOUR_MS } from "../features/mod.ts";
import { alertId } from "../alerts/mod.ts";
import {
  type Alert,
  ALERT_SCHEMA_VERSION,
  type CleanReading,
  MODEL_VERSIONS_SNAPSHOT,
  type ModelRetrainedEvent,
  type ModelVersionsSnapshot,
  type RetrainMode,
} from "../records/mod.ts";
import type { ForecastConfig } from "../offline/mod.ts";
import type { ReadingStore } from "../storage/mod.ts";
import type { EngineOptions, RealtimeForecaster } from "./engine.ts";
import type { DeployedModels } from "./models.ts";
import { modelsFromArtifacts } from "./load.ts";
import { blockStartMs, modelsVersion, refitBlock } from "./retrain.ts";
import type { RetrainReply, RetrainRequest } from "./retrain_worker.ts";
import type { ForecasterConfig } from "./forecaster_config.ts";
import type { ForecastObserver } from "./observers.ts";

const log = getLogger(["airq", "forecaster", "retrain"]);

/** How long a refit waits for the store to hold the hour before the boundary (the consumer may lag). */
const STORE_WAIT_MS = 30_000;
/** Events kept in the snapshot. */
const MAX_EVENTS = 100;

/** Everything the retrainer needs. */
export interface RetrainerOptions {
  mode: RetrainMode;
  rule: ForecasterConfig["retrain"];
  config: ForecastConfig;
  store: ReadingStore;
  modelDir: string;
  evaluationPath: string;
  engine: EngineOptions;
  /** The models the engine serves at the start. */
  initial: DeployedModels;
  /** Told of every retraining event once applied, with the version served after it. */
  onEvent?: ((event: ModelRetrainedEvent, serving: string | null) => void) | undefined;
}

type RefitReply = Extract<RetrainReply, { type: "refit" }>;

/** One refit's outcome, waiting to be applied between two readings. */
interface Finished {
  reply: RefitReply;
  stationId: string;
  readings: number;
  blockStart: number;
  models: DeployedModels | null;
}

/** The last hour a set of models was trained on (epoch ms), or null. */
function trainedThroughMs(models: DeployedModels): number | null {
  let last = -Infinity;
  for (const t of models.sarima?.targets ?? []) last = Math.max(last, Date.parse(t.fitEnd));
  if (last === -Infinity) {
    for (const blend of models.blends.values()) {
      for (const p of blend.parts) last = Math.max(last, Date.parse(p.artifact.trainingWindow.to));
    }
  }
  return Number.isFinite(last) ? last : null;
}

/** Refits at evaluate's weekly boundaries and swaps the engine's models (see the module doc). */
export class Retrainer {
  readonly mode: RetrainMode;
  readonly #o: RetrainerOptions;
  readonly #anchorMs: number;
  readonly #everyH: number;
  #worker: Worker | null = null;
  #ready: Promise<void> | null = null;
  #pending = new Map<number, (reply: RetrainReply) => void>();
  /** The latest block a refit was asked for (or the initial models serve). */
  #requested: number | null;
  #inFlight: Promise<void> | null = null;
  #finished: Finished[] = [];
  #events: ModelRetrainedEvent[] = [];
  /** Refits applied and promoted over the run (the events list keeps only the latest). */
  readonly counts = { refits: 0, promoted: 0, refit_seconds: 0 };
  #served: { version: string; since: string }[] = [];
  #serving: string | null;
  #closed = false;

  constructor(options: RetrainerOptions) {
    this.mode = options.mode;
    this.#o = options;
    this.#anchorMs = Date.parse(options.config.testWindow.from);
    this.#everyH = options.config.walkForward.refitEveryH;
    const through = trainedThroughMs(options.initial);
    // the initial models serve the block right after their training: a refit is due at the next one
    // with no trained model nothing is retrained: a deployment starts with `deno task train`
    this.#requested = through === null ? null : this.#blockOf(through + HOUR_MS);
    this.#serving = modelsVersion(options.initial);
    if (this.#serving !== null) {
      this.#served.push({ version: this.#serving, since: new Date().toISOString() });
    }
  }

  #blockOf(tMs: number): number {
    return refitBlock(tMs, this.#anchorMs, this.#everyH);
  }

  /** True when `reading` is past a boundary no refit was asked for yet. */
  due(reading: CleanReading): boolean {
    if (this.mode === "off" || this.#requested === null) return false;
    return this.#blockOf(reading.ts_utc_ms) > this.#requested;
  }

  /**
   * Starts the refit of `reading`'s block (one at a time: a later boundary
   * crossed while one runs is refitted after it). Resolves when its outcome
   * is ready for {@linkcode apply}.
   */
  start(reading: CleanReading): Promise<void> {
    const block = this.#blockOf(reading.ts_utc_ms);
    this.#requested = block;
    const stationId = this.#o.rule.station ?? reading.station_id;
    const previous = this.#inFlight ?? Promise.resolve();
    const run = previous.then(() => this.#refit(block, stationId)).catch((error) => {
      log.warn("Refit of block {block} failed, the champion stays: {error}", {
        block,
        error: String(error),
      });
    });
    this.#inFlight = run;
    return run;
  }

  async #refit(block: number, stationId: string): Promise<void> {
    const startMs = blockStartMs(block, this.#anchorMs, this.#everyH);
    const store = this.#o.store;
    // the consumer stores what the forecaster reads: wait (bounded) until it has the hour before
    const deadline = performance.now() + STORE_WAIT_MS;
    while (performance.now() < deadline && !this.#closed) {
      const last = await store.readings({
        station_id: stationId,
        from_ms: startMs - HOUR_MS,
        to_ms: startMs,
        limit: 1,
      });
      if (last.length > 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (this.#closed) return;
    const readings = await store.readings({
      station_id: stationId,
      from_ms: startMs - this.#o.rule.historyH * HOUR_MS,
      to_ms: startMs,
    });
    log.info("Refit of block {block} ({start}) on {n} stored readings of {station}", {
      block,
      start: new Date(startMs).toISOString(),
      n: readings.length,
      station: stationId,
    });
    const reply = await this.#ask({
      type: "refit",
      block,
      blockStartMs: startMs,
      readings,
      createdAt: new Date().toISOString(),
    });
    if (reply.type === "error") throw new Error(reply.message);
    if (reply.type !== "refit") throw new Error(`unexpected reply ${reply.type}`);
    const models = reply.decision.promoted
      ? await modelsFromArtifacts(
        reply.artifacts,
        reply.sarima,
        this.#o.evaluationPath,
        this.#o.engine.utcOffsetMin,
      )
      : null;
    for (const problem of [...reply.problems, ...(models?.problems ?? [])]) {
      log.warn("Refit of block {block}: {problem}", { block, problem });
    }
    this.#finished.push({
      reply,
      stationId,
      readings: readings.length,
      blockStart: startMs,
      models,
    });
  }

  /**
   * Applies every finished refit: installs a promoted challenger in `engine`
   * and returns the `model_retrained` alerts to publish and store.
   */
  apply(engine: RealtimeForecaster, nowMs: number): Alert[] {
    if (this.#finished.length === 0) return [];
    const alerts: Alert[] = [];
    for (const f of this.#finished.splice(0)) {
      const { reply } = f;
      const decidedAt = new Date(nowMs).toISOString();
      if (f.models !== null) {
        engine.install(f.models);
        this.#serving = reply.challengerVersion;
        this.#served.push({ version: reply.challengerVersion, since: decidedAt });
      }
      const blockStart = new Date(f.blockStart).toISOString();
      const event: ModelRetrainedEvent = {
        kind: "model_retrained",
        block: reply.block,
        block_start: blockStart,
        station_id: f.stationId,
        training_readings: f.readings,
        challenger_version: reply.challengerVersion,
        champion_version: reply.championVersion,
        promoted: reply.decision.promoted,
        mae_ratio: reply.decision.mae_ratio,
        max_mae_ratio: this.#o.rule.maxMaeRatio,
        score_hours: this.#o.rule.scoreHours,
        scores: reply.scores,
        reason: reply.decision.reason,
        mode: this.mode,
        seconds: reply.seconds,
        decided_at: decidedAt,
      };
      this.#events.push(event);
      this.counts.refits++;
      if (event.promoted) this.counts.promoted++;
      this.counts.refit_seconds = Math.round((this.counts.refit_seconds + reply.seconds) * 10) / 10;
      this.#o.onEvent?.(event, this.#serving);
      if (this.#events.length > MAX_EVENTS) this.#events.shift();
      log.info("Block {block}: {reason} ({seconds} s)", {
        block: reply.block,
        reason: reply.decision.reason,
        seconds: reply.seconds,
      });
      const windowStart = new Date(f.blockStart - this.#o.rule.scoreHours * HOUR_MS).toISOString();
      alerts.push({
        schema_version: ALERT_SCHEMA_VERSION,
        alert_id: alertId(f.stationId, "model_retrained", reply.challengerVersion, blockStart),
        kind: "model_retrained",
        severity: reply.decision.promoted ? "info" : "warning",
        station_id: f.stationId,
        field: null,
        // an event, not an episode: born resolved, it never counts as firing
        state: "resolved",
        reason:
          `Model retrained at ${blockStart} (version ${reply.challengerVersion}): ${reply.decision.reason}.`,
        evidence: {
          value: reply.decision.mae_ratio ?? 0,
          threshold: this.#o.rule.maxMaeRatio,
          unit: "ratio",
          window: {
            start: windowStart,
            end: blockStart,
            size: this.#o.rule.scoreHours,
            size_unit: "hours",
          },
        },
        event_ts: blockStart,
        raised_at: decidedAt,
      });
    }
    return alerts;
  }

  /** Retraining events so far, oldest first. */
  get events(): readonly ModelRetrainedEvent[] {
    return this.#events;
  }

  /** The versions served and the events, as stored under `forecaster.models`. */
  snapshot(): ModelVersionsSnapshot {
    return {
      format: "airq-model-versions",
      version: 1,
      mode: this.mode,
      serving: this.#serving,
      served: [...this.#served],
      events: [...this.#events],
    };
  }

  /** The snapshot as an observer of the forecaster (stored with the monitor's). */
  observer(): ForecastObserver {
    return {
      observe: () => [],
      forecasts: () => [],
      reset: () => {},
      snapshot: () => this.snapshot(),
      snapshotName: MODEL_VERSIONS_SNAPSHOT,
    };
  }

  async #ask(request: RetrainRequest & { type: "refit" }): Promise<RetrainReply> {
    if (this.#closed) return { type: "error", block: null, message: "the forecaster stopped" };
    await this.#start();
    return await new Promise<RetrainReply>((resolve) => {
      this.#pending.set(request.block, resolve);
      this.#worker!.postMessage(request);
    });
  }

  /** Starts the worker once, on the first refit. */
  #start(): Promise<void> {
    this.#ready ??= new Promise<void>((resolve, reject) => {
      const worker = new Worker(new URL("./retrain_worker.ts", import.meta.url).href, {
        type: "module",
      });
      this.#worker = worker;
      worker.onmessage = (event: MessageEvent<RetrainReply>) => {
        const reply = event.data;
        if (reply.type === "ready") return resolve();
        if (reply.type === "error" && reply.block === null) return reject(new Error(reply.message));
        const block = reply.block;
        const waiting = block === null ? undefined : this.#pending.get(block);
        if (waiting !== undefined) {
          this.#pending.delete(block!);
          waiting(reply);
        }
      };
      worker.onerror = (event) => {
        event.preventDefault();
        const error = new Error(`retrain worker: ${event.message}`);
        for (const waiting of this.#pending.values()) {
          waiting({ type: "error", block: null, message: error.message });
        }
        this.#pending.clear();
        reject(error);
      };
      const { rule } = this.#o;
      worker.postMessage(
        {
          type: "init",
          modelDir: this.#o.modelDir,
          evaluationPath: this.#o.evaluationPath,
          config: this.#o.config,
          engine: this.#o.engine,
          scoreHours: rule.scoreHours,
          maxMaeRatio: rule.maxMaeRatio,
        } satisfies RetrainRequest,
      );
    });
    return this.#ready;
  }

  /**
   * Stops the worker at once: a refit in flight is dropped (its result would
   * serve nobody; the next start refits at its first reading).
   */
  close(): Promise<void> {
    this.#closed = true;
    this.#worker?.terminate();
    this.#worker = null;
    for (const waiting of this.#pending.values()) {
      waiting({ type: "error", block: null, message: "the forecaster stopped" });
    }
    this.#pending.clear();
    return Promise.resolve();
  }
}
