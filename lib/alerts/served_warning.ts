/**
 * The evaluated early warning, served (issue 17, part 5): `deno task evaluate`
 * scores an NO2 warning that fires when P(NO2 > 200) from the forecast's recent
 * multiplicative errors reaches a cut-off chosen on validation, per lead, alone
 * or combined with persistence (`warning_no2_200.by_lead_h` of
 * var/evaluation.json). This module keeps, per station and served lead, the
 * same residual window (lib/scoring/exceedance.ts, one implementation for both
 * sides) and applies the same decision, so the live alerter warns when the
 * evaluated rule does. Leads the forecaster does not forecast (3 h) are not
 * served; horizons the evaluation did not score do not warn for the rule's
 * limit.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import type { CleanReading } from "../records/clean.ts";
import type { ForecastRecord } from "../records/forecast.ts";
import type { MeasurementField } from "../records/reading.ts";
import {
  COMBINATIONS,
  type ExceedanceOptions,
  ResidualExceedance,
  type WarningDecision,
  warns,
} from "../scoring/exceedance.ts";
import { hourOf } from "./_station.ts";

/** The evaluated warning rule of one limit, as served. */
export interface ServedWarningRule extends ExceedanceOptions {
  /** The reading field the rule warns of (`no2_ug_m3`). */
  readonly field: MeasurementField;
  /** Per lead (a forecast horizon, h): the cut-off and combination chosen on validation. */
  readonly leads: ReadonlyMap<number, WarningDecision>;
}

/** One evaluated lead, as `warning_no2_200.by_lead_h` of the evaluation report holds it. */
export interface EvaluatedLead {
  readonly lead_h: number;
  readonly probability_cutoff: number;
  readonly combination: string;
}

/**
 * The served rule from the evaluation's leads and the warning's settings (`warning` in
 * config/forecast.json), keeping the leads the forecaster forecasts (`horizonsH`). Throws a
 * TypeError naming the bad value when a lead's combination is unknown or no lead is forecast.
 */
export function servedWarningRule(
  settings: ExceedanceOptions & { readonly field: MeasurementField },
  leads: readonly EvaluatedLead[],
  horizonsH: readonly number[],
): ServedWarningRule {
  const served = new Map<number, WarningDecision>();
  for (const lead of leads) {
    const combination = COMBINATIONS.find((c) => c === lead.combination);
    if (combination === undefined) {
      throw new TypeError(
        `warning lead ${lead.lead_h} h: combination "${lead.combination}" is not one of ` +
          COMBINATIONS.join(", "),
      );
    }
    if (horizonsH.includes(lead.lead_h)) {
      served.set(lead.lead_h, { cutoff: lead.probability_cutoff, combination });
    }
  }
  if (served.size === 0) {
    throw new TypeError(
      `no evaluated warning lead (${leads.map((l) => l.lead_h).join(", ")} h) is a forecast ` +
        `horizon (${horizonsH.join(", ")} h)`,
    );
  }
  return { ...settings, leads: served };
}

/** What the rule says of one forecast. */
export interface ServedJudgement {
  /** P(value > threshold) from the lead's residuals; NaN when there are too few. */
  p: number;
  /** Whether the rule warns. */
  warn: boolean;
  /** The lead's cut-off. */
  cutoff: number;
}

/** One station's residual windows and forecasts waiting for their hour, per served lead. */
class StationWarning {
  readonly errors: ResidualExceedance[];
  /** Per lead: a ring of lead + 1 slots, slot `target mod (lead + 1)` = the forecast for `target`. */
  readonly pendingHour: Float64Array[];
  readonly pendingValue: Float64Array[];
  /** The latest observed value of the field, and its hour (persistence). */
  lastValue = NaN;
  lastHour = -Infinity;

  constructor(rule: ServedWarningRule, leads: readonly number[]) {
    this.errors = leads.map(() => new ResidualExceedance(rule));
    this.pendingHour = leads.map((l) => new Float64Array(l + 1).fill(NaN));
    this.pendingValue = leads.map((l) => new Float64Array(l + 1));
  }
}

/**
 * Per station, the served rule's state: verified residuals per lead, forecasts waiting for their
 * hour, the latest observed value. Feed it each reading ({@linkcode observe}) before that reading's
 * forecasts ({@linkcode judge}), as the forecaster does; evaluate's walk adds a residual at the
 * hour its target is observed and judges that hour's forecast after it, the same order.
 */
export class ServedWarnings {
  readonly rule: ServedWarningRule;
  readonly #leads: readonly number[];
  readonly #decisions: readonly WarningDecision[];
  readonly #stations = new Map<string, StationWarning>();
  /** What {@linkcode judge} returns, one object reused: the alerter's no-alert path allocates nothing. */
  readonly #judgement: ServedJudgement = { p: NaN, warn: false, cutoff: NaN };

  /** No station yet. */
  constructor(rule: ServedWarningRule) {
    this.rule = rule;
    this.#leads = [...rule.leads.keys()];
    this.#decisions = this.#leads.map((l) => rule.leads.get(l)!);
  }

  /** Forgets every station. */
  reset(): void {
    this.#stations.clear();
  }

  /** Forgets one station. */
  forget(stationId: string): void {
    this.#stations.delete(stationId);
  }

  /** A reading: verifies the forecasts made for its hour and updates the latest value. */
  observe(stationId: string, hour: number, measurements: CleanReading["measurements"]): void {
    const v = measurements[this.rule.field];
    if (v === null || v === undefined) return;
    const st = this.#station(stationId);
    if (hour >= st.lastHour) {
      st.lastHour = hour;
      st.lastValue = v;
    }
    for (let k = 0; k < this.#leads.length; k++) {
      const hours = st.pendingHour[k]!, slot = hour % hours.length;
      if (hours[slot] !== hour) continue;
      st.errors[k]!.add(v, st.pendingValue[k]![slot]!);
      hours[slot] = NaN; // verified once
    }
  }

  /**
   * A model forecast of the rule's field made at hour `made`: waits for its target hour, and is
   * judged. Null for records the rule does not serve (another field, an unserved horizon, a
   * baseline stand-in, no value). The judgement returned is overwritten by the next call.
   */
  judge(record: ForecastRecord, made: number): ServedJudgement | null {
    if (record.field !== this.rule.field || record.baseline || record.value === null) return null;
    const k = this.#leads.indexOf(record.horizon_h);
    if (k < 0) return null;
    const st = this.#station(record.station_id), value = record.value;
    const target = made + record.horizon_h;
    const hours = st.pendingHour[k]!, slot = target % hours.length;
    hours[slot] = target;
    st.pendingValue[k]![slot] = value;
    const decision = this.#decisions[k]!;
    const j = this.#judgement;
    j.p = st.errors[k]!.probability(value);
    j.warn = warns(j.p, st.lastValue, decision, this.rule.threshold);
    j.cutoff = decision.cutoff;
    return j;
  }

  /**
   * Warm start of one station: forgets it, then replays its stored readings and the stored
   * forecasts made from them in time order, as they were fed live. Only the latest
   * `residualWindowH` residuals count, so a history of that many observed hours (plus the
   * longest lead) rebuilds the station exactly.
   */
  warm(
    stationId: string,
    history: readonly CleanReading[],
    forecasts: readonly ForecastRecord[],
  ): void {
    this.forget(stationId);
    const byHour = new Map<number, ForecastRecord[]>();
    for (const f of forecasts) {
      if (f.station_id !== stationId || f.field !== this.rule.field) continue;
      const h = hourOf(Date.parse(f.ts));
      const list = byHour.get(h);
      if (list === undefined) byHour.set(h, [f]);
      else list.push(f);
    }
    for (const r of history) {
      if (r.station_id !== stationId) continue;
      const hour = hourOf(r.ts_utc_ms);
      this.observe(stationId, hour, r.measurements);
      for (const f of byHour.get(hour) ?? []) this.judge(f, hour);
    }
  }

  /** Hours of stored history and forecasts a warm start should give a station. */
  get warmHours(): number {
    // residuals count per observed hour: half as many hours again covers gaps of a third
    return Math.ceil(this.rule.residualWindowH * 1.5) + Math.max(...this.#leads);
  }

  #station(id: string): StationWarning {
    let st = this.#stations.get(id);
    if (st === undefined) {
      st = new StationWarning(this.rule, this.#leads);
      this.#stations.set(id, st);
    }
    return st;
  }
}
