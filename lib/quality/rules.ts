/**
 * The validation rule set of `config/quality.json`: its zod schema (strict:
 * unknown keys are errors, every threshold carries a `why`) and its compiled,
 * hot-path form.
 *
 * Pure: no `Deno.*`. Read the file with `loadConfig()` from `lib/config`:
 *
 * ```ts ignore
 * import { CONFIG_DIR, loadConfig } from "../config/mod.ts";
 * const rules = await loadConfig(new URL("quality.json", CONFIG_DIR), QualityRulesSchema);
 * ```
 *
 * @module
 */
import { z } from "zod";
import { IsoTimestamp, MEASUREMENT_FIELDS, type MeasurementField } from "../records/reading.ts";

const why = z.string().min(10, "must explain the threshold in a short sentence");
const finite = z.number().finite();
const comment = z.string().optional();

/** Physical plausibility of one field: outside `[min, max]` is `implausible`. */
export const PhysicalRuleSchema = z.strictObject({
  min: finite,
  max: finite,
  /** `reject`: the value is removed (kept in `rejected`); `flag`: kept and flagged. */
  action: z.enum(["reject", "flag"]),
  why,
}).refine((r) => r.min <= r.max, { message: "min must not exceed max", path: ["max"] });

/** Typical range of one field: outside `[min, max]` (but physically plausible) is `atypical`. */
export const TypicalRuleSchema = z.strictObject({ min: finite, max: finite, why }).refine(
  (r) => r.min <= r.max,
  { message: "min must not exceed max", path: ["max"] },
);

/** Rules of one measurement field. */
export const FieldRuleSchema = z.strictObject({
  physical: PhysicalRuleSchema,
  typical: TypicalRuleSchema,
}).refine(
  (r) => r.physical.min <= r.typical.min && r.typical.max <= r.physical.max,
  { message: "the typical range must lie inside the physical range", path: ["typical"] },
);

const fieldsShape = {
  $comment: comment,
  ...Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f, FieldRuleSchema])) as Record<
    MeasurementField,
    typeof FieldRuleSchema
  >,
};

/** Two warning levels of a monitored rate or amount; `critical` must not be below `warning`. */
export const LevelsSchema = z.strictObject({
  warning: z.number().min(0),
  critical: z.number(),
  why,
})
  .refine((l) => l.warning <= l.critical, {
    message: "critical must not be below warning",
    path: ["critical"],
  });

const rate = z.number().min(0).max(1);
const RateLevelsSchema = z.strictObject({ warning: rate, critical: rate, why }).refine(
  (l) => l.warning <= l.critical,
  { message: "critical must not be below warning", path: ["critical"] },
);

const stuckShape = Object.fromEntries(
  MEASUREMENT_FIELDS.map((f) => [f, z.number().int().min(2).max(720)]),
) as Record<MeasurementField, z.ZodNumber>;

/** `thresholds` of `config/quality.json`: what the data-quality monitor alerts on. */
export const MonitorThresholdsSchema = z.strictObject({
  $comment: comment,
  /** Per-station rolling window, in hours of event time. */
  window: z.strictObject({
    hours: z.number().int().min(1).max(24 * 31),
    /** Rates are not judged on fewer readings than this. */
    minReadings: z.number().int().min(1),
    why,
  }).refine((w) => w.minReadings <= w.hours, {
    message: "minReadings must not exceed the window's hours",
    path: ["minReadings"],
  }),
  /** After an alert fired, the same (station, kind, field) does not fire again for this long. */
  cooldown: z.strictObject({ ms: z.number().int().min(0), why }),
  /** Share of the window's readings where a field is missing. */
  missingRate: z.strictObject({
    warning: rate,
    critical: rate,
    why,
    /** Levels for single fields, replacing the defaults above. */
    perField: z.partialRecord(z.enum(MEASUREMENT_FIELDS), RateLevelsSchema),
  }).refine((l) => l.warning <= l.critical, {
    message: "critical must not be below warning",
    path: ["critical"],
  }),
  /** Share of a field's present values flagged `implausible` or `atypical`. */
  outOfRangeRate: RateLevelsSchema,
  /** A field repeating the same non-null value for this many consecutive hours is stuck. */
  stuck: z.strictObject({ hours: z.strictObject(stuckShape), why }),
  /** Hours without any reading inside a station's window. */
  gapHours: LevelsSchema,
  /** Share of dead letters among the last `windowMessages` messages. */
  deadLetterRate: z.strictObject({
    windowMessages: z.number().int().min(10).max(10_000_000),
    minMessages: z.number().int().min(1),
    warning: rate,
    critical: rate,
    why,
  }).refine((l) => l.warning <= l.critical, {
    message: "critical must not be below warning",
    path: ["critical"],
  }),
  /** Messages the consumer group is behind the log end, summed over partitions. */
  consumerLag: LevelsSchema,
});

/** Monitor thresholds as written in `config/quality.json`. */
export type MonitorThresholds = z.infer<typeof MonitorThresholdsSchema>;

/** `config/quality.json` as written. */
export const QualityConfigSchema = z.strictObject({
  $comment: comment,
  message: z.strictObject({
    /** Larger payloads are dead-lettered (`too_large`) before they are decoded. */
    maxBytes: z.number().int().min(256).max(16 * 1024 * 1024),
    /** A measurement with exactly this value means "missing" (`sentinel`). */
    sentinel: finite,
    why,
  }),
  timestamp: z.strictObject({
    /** Readings before this instant are `bad_timestamp`. */
    earliest: IsoTimestamp,
    /** Readings more than this far after `now` are `bad_timestamp`. */
    maxFutureMs: z.number().int().min(0),
    /** `reject`: a `ts` whose local minutes, seconds or milliseconds are not zero is `bad_timestamp`. */
    wholeHour: z.enum(["reject", "allow"]),
    why,
  }),
  fields: z.strictObject(fieldsShape),
  crossField: z.strictObject({
    $comment: comment,
    /** NO2 converted to ppb must not exceed NOx (ppb) by more than `tolerancePpb`. */
    no2VsNox: z.strictObject({
      enabled: z.boolean(),
      ugM3PerPpb: z.number().positive(),
      tolerancePpb: z.number().min(0),
      why,
    }),
  }),
  thresholds: MonitorThresholdsSchema,
});

/** `config/quality.json` as written. */
export type QualityConfig = z.infer<typeof QualityConfigSchema>;

/** The rule set compiled for the hot path: per-field bounds in arrays indexed like `MEASUREMENT_FIELDS`. */
export interface QualityRules {
  /** The configuration the rules were compiled from (with every `why`). */
  readonly config: QualityConfig;
  /** Payloads above this many bytes are `too_large`. */
  readonly maxMessageBytes: number;
  /** The literal that means "missing" (`-200` in the UCI file). */
  readonly sentinel: number;
  /** Earliest accepted event time, epoch ms. */
  readonly earliestMs: number;
  /** Latest accepted event time, relative to `now`, in ms. */
  readonly maxFutureMs: number;
  /** Whether a `ts` that is not on a whole local hour is rejected. */
  readonly requireWholeHour: boolean;
  /** Physical lower bound per field. */
  readonly physicalMin: Float64Array;
  /** Physical upper bound per field. */
  readonly physicalMax: Float64Array;
  /** 1 where an implausible value is removed, 0 where it is only flagged. */
  readonly physicalReject: Uint8Array;
  /** Typical lower bound per field. */
  readonly typicalMin: Float64Array;
  /** Typical upper bound per field. */
  readonly typicalMax: Float64Array;
  /** NO2-vs-NOx check, or null when disabled. */
  readonly no2VsNox: { readonly ugM3PerPpb: number; readonly tolerancePpb: number } | null;
}

/**
 * Compiles a parsed `config/quality.json` into {@linkcode QualityRules}.
 *
 * @example
 * ```ts ignore
 * const rules = compileRules(QualityConfigSchema.parse(json));
 * ```
 */
export function compileRules(config: QualityConfig): QualityRules {
  const n = MEASUREMENT_FIELDS.length;
  const physicalMin = new Float64Array(n);
  const physicalMax = new Float64Array(n);
  const physicalReject = new Uint8Array(n);
  const typicalMin = new Float64Array(n);
  const typicalMax = new Float64Array(n);
  MEASUREMENT_FIELDS.forEach((field, i) => {
    const { physical, typical } = config.fields[field];
    physicalMin[i] = physical.min;
    physicalMax[i] = physical.max;
    physicalReject[i] = physical.action === "reject" ? 1 : 0;
    typicalMin[i] = typical.min;
    typicalMax[i] = typical.max;
  });
  const cross = config.crossField.no2VsNox;
  return {
    config,
    maxMessageBytes: config.message.maxBytes,
    sentinel: config.message.sentinel,
    earliestMs: Date.parse(config.timestamp.earliest),
    maxFutureMs: config.timestamp.maxFutureMs,
    requireWholeHour: config.timestamp.wholeHour === "reject",
    physicalMin,
    physicalMax,
    physicalReject,
    typicalMin,
    typicalMax,
    no2VsNox: cross.enabled
      ? { ugM3PerPpb: cross.ugM3PerPpb, tolerancePpb: cross.tolerancePpb }
      : null,
  };
}

/**
 * Schema of `config/quality.json` that outputs compiled {@linkcode QualityRules}:
 * pass it to `loadConfig()` or `parseConfig()` from `lib/config`.
 */
export const QualityRulesSchema: z.ZodPipe<
  typeof QualityConfigSchema,
  z.ZodTransform<QualityRules, QualityConfig>
> = QualityConfigSchema.transform(compileRules);

/** Name of the rule file in `config/`. */
export const QUALITY_CONFIG_FILE = "quality.json";
