/**
 * Shared fixtures of the quality tests: the shipped rules, a valid reading,
 * and message encoding.
 *
 * @module
 */
import { CONFIG_DIR, loadConfig } from "../../lib/config/mod.ts";
import { type QualityRules, QualityRulesSchema } from "../../lib/quality/mod.ts";
import type { Measurements, Reading, SourcePosition } from "../../lib/records/mod.ts";
import type { ValidateContext } from "../../lib/quality/mod.ts";
import { UCI_FIRST_ROW } from "../_uci_rows.ts";

/** The shipped `config/quality.json`, compiled (read once, at import). */
export const RULES: QualityRules = await loadConfig(
  new URL("quality.json", CONFIG_DIR),
  QualityRulesSchema,
);

/** A fixed consumer clock: 2025-01-01T00:00:00Z. */
export const NOW = Date.UTC(2025, 0, 1);

/** A valid reading of station-001 (the UCI file's first row), with `measurements` overrides. */
export function makeReading(
  measurements: Partial<Record<keyof Measurements, number | null>> = {},
  over: Partial<Reading> = {},
): Reading {
  return {
    schema_version: 1,
    station_id: "station-001",
    ts: "2004-03-10T18:00:00+01:00",
    measurements: { ...UCI_FIRST_ROW, ...measurements },
    ...over,
  };
}

/** JSON-encodes anything into message bytes. */
export function encode(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** A position on the raw topic. */
export function position(offset = 0): SourcePosition {
  return { topic: "airq.readings.raw", partition: 0, offset: String(offset) };
}

/** A validation context for station-001 at {@linkcode NOW}. */
export function context(over: Partial<ValidateContext> = {}): ValidateContext {
  return { source: position(), key: "station-001", now: NOW, ...over };
}
