/**
 * The preprocessing report: runs a UCI file through exactly what the pipeline
 * does to a reading (the producer's record, the consumer's validation and
 * cleaning, the data-quality monitor) and measures the result, so the numbers
 * in docs/reports/preprocessing.md come from the code, never from a keyboard.
 *
 * Pure: rows in, numbers and Markdown out.
 *
 * @module
 */
import type { UciRow } from "../dataset/uci_csv.ts";
import { QualityMonitor, type QualityRules, validateMessage } from "../quality/mod.ts";
import {
  type CleanReading,
  COLUMNS,
  type MeasurementField,
  READING_SCHEMA_VERSION,
} from "../records/mod.ts";

/** Per-column results. */
export interface ColumnStats {
  column: string;
  field: MeasurementField;
  kind: string;
  present: number;
  missing: number;
  missing_pct: number;
  implausible: number;
  atypical: number;
  inconsistent: number;
  /** Longest run of consecutive missing hours. */
  longest_gap_h: number;
  /** Runs of ≥ 24 consecutive missing hours. */
  outages_24h: number;
  first_present: string | null;
  last_present: string | null;
}

/** What the report measured. */
export interface PreprocessingStats {
  rows: number;
  first_ts: string | null;
  last_ts: string | null;
  valid: number;
  dead_letters: number;
  status: Record<"ok" | "flagged" | "outage", number>;
  device_outage_hours: number;
  columns: ColumnStats[];
  alerts: Record<string, number>;
}

/** Runs the rows through validation, cleaning and monitoring; counts everything. */
export async function preprocessingStats(
  rows: AsyncIterable<UciRow>,
  rules: QualityRules,
): Promise<PreprocessingStats> {
  const monitor = new QualityMonitor(rules.config.thresholds);
  const encoder = new TextEncoder();
  const columns = emptyColumns();
  const status = { ok: 0, flagged: 0, outage: 0 };
  const alerts: Record<string, number> = {};
  let rowsSeen = 0;
  let valid = 0;
  let dead = 0;
  let deviceOutage = 0;
  let first: string | null = null;
  let last: string | null = null;
  for await (const row of rows) {
    rowsSeen++;
    first ??= row.ts;
    last = row.ts;
    const result = validateRow(row, rules, encoder);
    if (!result.ok) {
      dead++;
      monitor.observeDeadLetter(result.deadLetter.reason);
      continue;
    }
    valid++;
    const r = result.reading;
    status[r.status]++;
    monitor.observe(r);
    if (COLUMNS.every((c) => c.kind === "reference" || r.measurements[c.field] === null)) {
      deviceOutage++;
    }
    for (const c of columns.values()) countColumn(c, r);
    for (const a of monitor.evaluate(row.epochMs)) {
      if (a.state === "firing") alerts[a.kind] = (alerts[a.kind] ?? 0) + 1;
    }
  }
  for (const c of columns.values()) {
    closeRun(c);
    c.missing_pct = rowsSeen > 0 ? Math.round((1000 * c.missing) / rowsSeen) / 10 : 0;
  }
  return {
    rows: rowsSeen,
    first_ts: first,
    last_ts: last,
    valid,
    dead_letters: dead,
    status,
    device_outage_hours: deviceOutage,
    columns: [...columns.values()].map(({ run: _run, ...c }) => c),
    alerts,
  };
}

/** Running counts per column, with the current run of missing hours. */
type ColumnCount = ColumnStats & { run: number };

/** Every column's counts at zero. */
function emptyColumns(): Map<MeasurementField, ColumnCount> {
  return new Map<MeasurementField, ColumnCount>(
    COLUMNS.map((c) => [c.field, {
      column: c.source,
      field: c.field,
      kind: c.kind,
      present: 0,
      missing: 0,
      missing_pct: 0,
      implausible: 0,
      atypical: 0,
      inconsistent: 0,
      longest_gap_h: 0,
      outages_24h: 0,
      first_present: null,
      last_present: null,
      run: 0,
    }]),
  );
}

/** Ends a column's run of missing hours: the longest gap, and outages of a day or more. */
function closeRun(c: ColumnCount): void {
  c.longest_gap_h = Math.max(c.longest_gap_h, c.run);
  if (c.run >= 24) c.outages_24h++;
  c.run = 0;
}

/** Counts one clean reading's value and flags of column `c`. */
function countColumn(c: ColumnCount, r: CleanReading): void {
  const flags = r.flags[c.field] ?? [];
  if (r.measurements[c.field] === null) {
    c.missing++;
    c.run++;
  } else {
    c.present++;
    c.first_present ??= r.ts;
    c.last_present = r.ts;
    closeRun(c);
  }
  if (flags.includes("implausible")) c.implausible++;
  if (flags.includes("atypical")) c.atypical++;
  if (flags.includes("inconsistent")) c.inconsistent++;
}

/** A file row through the consumer's validation, as the producer would have sent it. */
function validateRow(
  row: UciRow,
  rules: QualityRules,
  encoder: TextEncoder,
): ReturnType<typeof validateMessage> {
  const message = {
    schema_version: READING_SCHEMA_VERSION,
    station_id: "station-001",
    ts: row.ts,
    measurements: row.measurements,
  };
  return validateMessage(
    encoder.encode(JSON.stringify(message)),
    {
      source: { topic: "file", partition: 0, offset: String(row.line) },
      key: "station-001",
      now: row.epochMs,
    },
    rules,
  );
}

/** Renders the stats as the Markdown of docs/reports/preprocessing.md. */
export function preprocessingMarkdown(
  s: PreprocessingStats,
  source: string,
  generatedAt: string,
): string {
  const lines = [
    "# Preprocessing report (generated)",
    "",
    `Generated by \`deno task preprocessing-report\` on ${generatedAt} from \`${source}\`.`,
    "Every number below is computed by `lib/reports/preprocessing.ts`, which runs each row through the",
    "producer's record, the consumer's validation and cleaning (`config/quality.json`) and the",
    "data-quality monitor: exactly what the pipeline does. Do not edit by hand.",
    "",
    "## The file",
    "",
    `| rows | first hour | last hour | valid readings | dead letters | status ok | flagged | outage (all 13 missing) | device outage hours (every sensor and weather value missing) |`,
    `|---:|---|---|---:|---:|---:|---:|---:|---:|`,
    `| ${s.rows} | ${s.first_ts} | ${s.last_ts} | ${s.valid} | ${s.dead_letters} | ${s.status.ok} | ${s.status.flagged} | ${s.status.outage} | ${s.device_outage_hours} |`,
    "",
    "## Per column",
    "",
    "| column | kind | present | missing | missing % | implausible | atypical | inconsistent | longest gap (h) | gaps ≥ 24 h | first value | last value |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ...s.columns.map((c) =>
      `| ${c.column} | ${c.kind} | ${c.present} | ${c.missing} | ${c.missing_pct} | ${c.implausible} | ${c.atypical} | ${c.inconsistent} | ${c.longest_gap_h} | ${c.outages_24h} | ${
        c.first_present ?? "-"
      } | ${c.last_present ?? "-"} |`
    ),
    "",
    "## Data-quality alerts the monitor raises on this file (firing events, by kind)",
    "",
    "| kind | alerts |",
    "|---|---:|",
    ...Object.entries(s.alerts).sort().map(([k, n]) => `| ${k} | ${n} |`),
    ...(Object.keys(s.alerts).length === 0 ? ["| (none) | 0 |"] : []),
    "",
  ];
  return lines.join("\n");
}
