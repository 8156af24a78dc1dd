/**
 * The schema of `config/analysis.json`.
 *
 * @module
 */
import { z } from "zod";
import { MEASUREMENT_FIELDS } from "../records/mod.ts";

/** Name of the analysis config file in `config/`. */
export const ANALYSIS_CONFIG_FILE = "analysis.json";

const Field = z.enum(MEASUREMENT_FIELDS);

/** Schema of `config/analysis.json` (strict: unknown keys are errors). */
export const AnalysisConfigSchema = z.strictObject({
  $comment: z.string().optional(),
  why: z.string().optional(),
  pollutants: z.array(Field).min(1),
  correlationFields: z.array(Field).min(2),
  calibrationPairs: z.array(z.strictObject({ sensor: Field, reference: Field })),
  rollingDays: z.number().int().min(1),
  acfMaxLag: z.number().int().min(1),
  pacfMaxLag: z.number().int().min(1),
  ccfMaxLag: z.number().int().min(1),
  calibrationMinHours: z.number().int().min(3),
  anomalies: z.strictObject({
    zThreshold: z.number().positive(),
    agreeZ: z.number().positive(),
    mergeGapH: z.number().int().min(0),
    outageMinHours: z.number().int().min(1),
    stuckMinHours: z.number().int().min(2),
    iforest: z.strictObject({
      trees: z.number().int().min(1),
      sampleSize: z.number().int().min(2),
      seed: z.number().int(),
      scoreQuantile: z.number().gt(0).lt(1),
    }),
  }),
});

/** Settings of the analysis. */
export type AnalysisConfig = z.infer<typeof AnalysisConfigSchema>;
