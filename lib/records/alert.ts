/**
 * The alert record: something about the data or the pipeline that a person
 * should look at, as it travels on the alerts topic. An alert fires once, may
 * be raised again at a higher severity, and is resolved once; every event of
 * one episode carries the same `alert_id`, so a store can upsert by it.
 *
 * @module
 */
import { z } from "zod";
import { IsoTimestamp, MEASUREMENT_FIELDS } from "./reading.ts";

/** Version of the alert schema carried in every alert. */
export const ALERT_SCHEMA_VERSION = 1;

/** Kinds raised by the data-quality monitor (`lib/quality/data_monitor.ts`). */
export const DATA_QUALITY_ALERT_KINDS = [
  "data_quality.missing_rate",
  "data_quality.out_of_range",
  "data_quality.stuck_sensor",
  "data_quality.gap",
  "data_quality.dead_letter_rate",
  "data_quality.consumer_lag",
] as const;

/** Every alert kind: data quality now; pollution exceedances, early warnings and model drift later. */
export const ALERT_KINDS = [
  ...DATA_QUALITY_ALERT_KINDS,
  "exceedance",
  "early_warning",
  "drift",
  "model_retrained",
] as const;

/** One alert kind. */
export type AlertKind = typeof ALERT_KINDS[number];

/** How urgent an alert is. */
export const ALERT_SEVERITIES = ["info", "warning", "critical"] as const;

/** One severity. */
export type AlertSeverity = typeof ALERT_SEVERITIES[number];

/** What the alert measured, against what, over which window. */
export const AlertEvidenceSchema = z.strictObject({
  /** The measured value (a rate in 0..1, hours, messages, …: see `unit`). */
  value: z.number().finite(),
  /** The threshold it was compared with (for `resolved`, the level it fell below). */
  threshold: z.number().finite(),
  /** Unit of `value` and `threshold`, e.g. `ratio`, `hours`, `messages`. */
  unit: z.string().min(1),
  /** The window the value was measured over. */
  window: z.strictObject({
    start: IsoTimestamp,
    end: IsoTimestamp,
    /** Length of the window in `size_unit`. */
    size: z.number().finite().min(0),
    size_unit: z.enum(["hours", "messages", "instant"]),
  }),
});

/** What an alert measured. */
export type AlertEvidence = z.infer<typeof AlertEvidenceSchema>;

/** Schema of an alert. */
export const AlertSchema = z.strictObject({
  schema_version: z.literal(ALERT_SCHEMA_VERSION),
  /** Deterministic id of the episode: a hash of station, kind, field and window start. */
  alert_id: z.string().regex(/^[0-9a-f]{16}$/, "must be 16 lowercase hex digits"),
  kind: z.enum(ALERT_KINDS),
  severity: z.enum(ALERT_SEVERITIES),
  /** Null for pipeline-wide alerts (dead letters, consumer lag). */
  station_id: z.string().min(1).nullable(),
  /** Null when the alert is not about one measurement field. */
  field: z.enum(MEASUREMENT_FIELDS).nullable(),
  state: z.enum(["firing", "resolved"]),
  /** One sentence a person can act on. */
  reason: z.string().min(1),
  evidence: AlertEvidenceSchema,
  /** Event time the alert refers to (a station's latest reading, or the clock for pipeline alerts). */
  event_ts: IsoTimestamp,
  /** When the alert was raised, by the monitor's clock. */
  raised_at: IsoTimestamp,
});

/** An alert. */
export type Alert = z.infer<typeof AlertSchema>;
