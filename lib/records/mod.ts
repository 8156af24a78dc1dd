/**
 * Records that travel between airq's processes: their zod schemas, inferred
 * types and versions.
 *
 * @module
 */
export {
  type ColumnSpec,
  COLUMNS,
  IsoTimestamp,
  MEASUREMENT_FIELDS,
  type MeasurementField,
  type Measurements,
  MeasurementsSchema,
  type Reading,
  READING_SCHEMA_VERSION,
  ReadingSchema,
} from "./reading.ts";
export {
  CLEAN_SCHEMA_VERSION,
  type CleanReading,
  CleanReadingSchema,
  type DeadLetter,
  FIELD_FLAGS,
  type FieldFlag,
  type SourcePosition,
  SourcePositionSchema,
} from "./clean.ts";
