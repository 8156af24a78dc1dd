/**
 * The scenario behind the example alerts of docs/alerts.md: `docs_test.ts`
 * regenerates them and compares, so the page shows what the code emits.
 * Print them with `deno run -A tests/alerts/_examples.ts`.
 *
 * @module
 */
import { PollutionAlerter } from "../../lib/alerts/mod.ts";
import type { Alert } from "../../lib/records/mod.ts";
import { CONFIG, forecast, reading } from "./_helpers.ts";

/** The replay's wall clock for `raised_at`. */
const NOW = Date.UTC(2026, 0, 15, 9, 30);

/** Example alerts by name, as docs/alerts.md shows them. */
export function exampleAlerts(): Record<string, Alert> {
  const alerter = new PollutionAlerter(CONFIG);
  const all: Alert[] = [];
  // station-001: NO2 at 150 µg/m³ (above the WHO 24-hour level) for a day, then a rush hour.
  for (let h = 0; h <= 22; h++) {
    all.push(...alerter.observe(reading(h, { no2_ug_m3: 150, co_mg_m3: 2 }), NOW));
  }
  all.push(...alerter.forecasts([
    forecast(22, 1, "no2_ug_m3", 170, 20),
    forecast(22, 6, "no2_ug_m3", 215, 20),
    forecast(22, 24, "no2_ug_m3", 150, 20),
  ], NOW));
  for (const [h, v] of [[23, 190], [24, 212], [25, 205], [26, 175]] as const) {
    all.push(...alerter.observe(reading(h, { no2_ug_m3: v, co_mg_m3: 2 }), NOW));
  }
  // station-002: CO at 9 mg/m³ for 8 hours, then a forecast of 18 mg/m³ for the next hour.
  for (let h = 0; h <= 7; h++) {
    all.push(...alerter.observe(reading(h, { co_mg_m3: 9 }, "station-002"), NOW));
  }
  all.push(...alerter.forecasts([forecast(7, 1, "co_mg_m3", 18, 2, {}, "station-002")], NOW));
  const pick = (kind: Alert["kind"], state: Alert["state"], test: (a: Alert) => boolean) => {
    const found = all.filter((a) => a.kind === kind && a.state === state && test(a));
    if (found.length !== 1) throw new Error(`${found.length} ${kind} ${state} examples`);
    return found[0]!;
  };
  const no2 = (a: Alert) => a.field === "no2_ug_m3";
  return {
    "advisory-firing": pick("exceedance", "firing", (a) => a.severity === "info"),
    "early-warning-firing": pick("early_warning", "firing", no2),
    "exceedance-firing": pick("exceedance", "firing", (a) => a.severity === "critical"),
    "early-warning-superseded": pick("early_warning", "resolved", no2),
    "exceedance-resolved": pick("exceedance", "resolved", no2),
    "early-warning-co-8h": pick("early_warning", "firing", (a) => a.field === "co_mg_m3"),
  };
}

if (import.meta.main) {
  for (const [name, alert] of Object.entries(exampleAlerts())) {
    // deno-lint-ignore no-console
    console.log(
      `<!-- example: ${name} -->\n\n\`\`\`json\n${JSON.stringify(alert, null, 2)}\n\`\`\`\n`,
    );
  }
}
