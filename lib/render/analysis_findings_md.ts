/**
 * The eight findings of `docs/analysis.md` (./markdown.ts assembles the
 * report): each a figure, a number and an explanation, from the context
 * `markdownContext` derives of the analysis.
 *
 * Pure: no `Deno.*`.
 *
 * @module
 */
import { count, dayName, fmt, monthName, para, pct } from "./markdown_text.ts";
import type { MarkdownContext } from "./markdown.ts";

/** The "Findings" section: findings 1 to 8. */
export function findingsSection(c: MarkdownContext): string[] {
  return [
    ...finding1(c),
    ...finding2(c),
    ...finding3(c),
    ...finding4(c),
    ...finding5(c),
    ...finding6(c),
    ...finding7(c),
    ...finding8(c),
  ];
}

/** Finding 1: Traffic and the height of the mixing layer set the daily rhythm. (After the "Findings" heading.) */
function finding1(c: MarkdownContext): string[] {
  const { list, figure, nox, morning, evening } = c;
  return [
    "## Findings",
    "",
    "### 1. Traffic and the height of the mixing layer set the daily rhythm",
    "",
    para(
      `${figure("profiles", "Hourly profiles")}: on weekdays ${
        morning.map((p) => `${p.name} peaks at ${p.peakHour}:00`).join(" and ")
      }, while ${evening.map((p) => p.name).join(", ")} peak in the evening (${
        evening.map((p) => `${p.peakHour}:00`).join(", ")
      }). Peak-to-trough ratios are ${
        list((p) => `${p.name} ${fmt(p.peakToTrough)}×`)
      }. Two things explain the shape. The rush hours put the emissions in: exhaust is mostly NO, CO and benzene. The height of the mixing layer decides how much air they are diluted in: in the morning the night-time inversion is still low, so fresh NO accumulates and NOx(GT) (NO + NO2) peaks at ${
        nox?.peakHour ?? "n/a"
      }:00; by midday solar heating has deepened the layer and concentrations fall; in the evening the second rush meets a layer that collapses after sunset, and NO reacts with the ozone formed during the day to give NO2, which is why NO2 peaks in the evening rather than the morning.`,
    ),
    "",
  ];
}

/** Finding 2: Weekends and August: the traffic signal, twice. */
function finding2(c: MarkdownContext): string[] {
  const { a, list, figure } = c;
  return [
    "### 2. Weekends and August: the traffic signal, twice",
    "",
    para(
      `${figure("dow", "Day-of-week effects")}: weekend hours are lower by ${
        list((p) => `${p.name} ${fmt(p.weekendDropPct, 0)} %`)
      }, and Sunday is the lowest day (${
        a.pollutants.map((p) => {
          const low = p.dow.reduce((x, y) => (y.ratio < x.ratio ? y : x));
          return `${p.name} ${low.dow} ${fmt(100 * low.ratio, 0)} % of the mean day`;
        }).join("; ")
      }). ${figure("monthly", "Monthly means")}: the lowest month is ${
        list((p) =>
          p.lowestMonth === null
            ? `${p.name} n/a`
            : `${p.name} ${monthName(p.lowestMonth.month)} (${
              pct(p.lowestMonth.vsPreviousPct)
            } against the two months before)`
        )
      }. August is when Italian cities empty for the summer holidays (Ferragosto); less traffic, less pollution, in every pollutant at once. The same natural experiment as the weekend, at the scale of a month, and the strongest evidence that road traffic is the main source here.`,
    ),
    "",
  ];
}

/** Finding 3: Winter NOx: a shallow boundary layer and little sunlight. */
function finding3(c: MarkdownContext): string[] {
  const { list, figure, bz } = c;
  return [
    "### 3. Winter NOx: a shallow boundary layer and little sunlight",
    "",
    para(
      `${figure("monthly", "Monthly means")}, by season: ${
        list((p) =>
          `${p.name} highest in ${p.season.high} (${
            fmt(p.season.highMean)
          } ${p.unit}), lowest in ${p.season.low} (${fmt(p.season.lowMean)})`
        )
      }. NOx rises most in the cold months: winter nights bring strong, long inversions that keep emissions near the ground, heating adds sources, and short days mean little photochemistry to turn NO into NO2 and remove it. NO2 rises less because its formation is limited by the ozone available. Benzene does not follow the pattern (lowest in ${
        bz?.season.low ?? "n/a"
      }); since its values in this file are derived from a cheap sensor (finding 5), part of that may be the sensor's calibration rather than the air.`,
    ),
    "",
  ];
}

/** Finding 4: A step, not a trend: NOx after the summer 2004 outage. */
function finding4(c: MarkdownContext): string[] {
  const { figure, nox, co, no2, bz, noxDrift, sameMonthRatio, noxSame } = c;
  return [
    "### 4. A step, not a trend: NOx after the summer 2004 outage",
    "",
    para(
      `${figure("timeseries", "Daily means with their outages shaded")}: ${
        noxDrift === undefined
          ? "n/a"
          : `in ${monthName(noxDrift.largestStep.from)} and ${
            monthName(noxDrift.largestStep.to)
          } the NOx(GT) analyser was down in ${
            count(noxDrift.outagesAtStep.count, "outage")
          } of a day or more, ${count(noxDrift.outagesAtStep.hours, "hour")} in all`
      }, and after them the level was much higher: ${
        noxSame === null ? "n/a" : `${monthName(noxSame.last)} against ${monthName(noxSame.first)}`
      } NOx(GT) ${sameMonthRatio(nox)}, while CO(GT) ${sameMonthRatio(co)}, C6H6(GT) ${
        sameMonthRatio(bz)
      } and NO2(GT) ${sameMonthRatio(no2)} over the same twelve months. ${
        figure("drift", "The cheap sensors against the reference")
      }: the slope of ${noxDrift?.pair ?? "the NOx sensor"} changed by ${
        pct(noxDrift?.largestStep.pct ?? NaN)
      } from ${noxDrift === undefined ? "n/a" : monthName(noxDrift.largestStep.from)} to ${
        noxDrift === undefined ? "n/a" : monthName(noxDrift.largestStep.to)
      }, its largest month-to-month change, across those outages. Traffic that doubled its NOx without changing its CO or benzene is implausible; a NOx analyser replaced or recalibrated during the outage is the likelier explanation, and it would produce both the ${
        pct(nox?.trendPerYearPct ?? NaN)
      } per year "trend" and the apparent drift of the NOx sensor. The data cannot prove it: the station's maintenance log can. Until then, NOx before and after ${
        noxDrift === undefined ? "the step" : monthName(noxDrift.largestStep.to)
      } should not be compared, and models must learn from recent data (they are refit weekly, walk-forward).`,
    ),
    "",
  ];
}

/** Finding 5: Cheap sensors: close, drifting, and one correlation that proves nothing. */
function finding5(c: MarkdownContext): string[] {
  const { f, figure, benzenePair } = c;
  return [
    "### 5. Cheap sensors: close, drifting, and one correlation that proves nothing",
    "",
    para(
      `${
        figure("correlation", "The correlation matrix")
      }: the cheap sensor closest to each reference (Spearman ρ) is ${
        f.pairs.map((p) => `${p.sensor} for ${p.reference} (${fmt(p.rho, 2)})`).join("; ")
      }. The nominal "O3" sensor follows NOx and NO2 better than the NOx and NO2 sensors do: metal-oxide sensors respond to several gases, so their names are a guide, not a guarantee. Benzene's ρ of ${
        fmt(benzenePair?.rho ?? NaN, 2)
      } is not evidence of a good sensor: C6H6(GT) in this file was derived from PT08.S2(NMHC) by the data's providers, so the two are one signal. Month by month the sensors drift: ${
        f.drift.map((d) =>
          `${d.pair} ${pct(d.slopeChangePct)} over the year, at most ${
            pct(d.largestStep.pct)
          } in one month (${monthName(d.largestStep.from)} to ${monthName(d.largestStep.to)})`
        ).join("; ")
      }.`,
    ),
    "",
  ];
}

/** Finding 6: What is predictable, and why. */
function finding6(c: MarkdownContext): string[] {
  const { ps, list, figure, ranked } = c;
  return [
    "### 6. What is predictable, and why",
    "",
    para(
      `${figure("acf", "Autocorrelation")}: the last hour explains most of the next (lag-1 ACF ${
        list((p) => `${p.name} ${fmt(p.acf.lag1, 2)}`)
      }), the same hour yesterday and last week still matter (24 h: ${
        list((p) => fmt(p.acf.lag24, 2))
      }; 168 h: ${
        list((p) => fmt(p.acf.lag168, 2))
      }). In the partial autocorrelation the six largest spikes are ${
        ps.map((p) =>
          `${p.name} ${p.pacfTop.map((x) => `${x.lag} h (${fmt(x.value, 2)})`).join(", ")}`
        ).join("; ")
      }. After lag 1 (and a negative lag 2 for some), they sit at ${
        Math.min(...ps.flatMap((p) => p.pacfTop.filter((x) => x.lag >= 12).map((x) => x.lag)))
      }–${
        Math.max(...ps.flatMap((p) => p.pacfTop.filter((x) => x.lag >= 12).map((x) => x.lag)))
      } h: the daily cycle seen from the partial side: yesterday's level at this hour, and, with the negative spike at 25 h, how fast it was changing then. ${
        figure("decomposition-co_mg_m3", "The decomposition")
      } ranks predictability: trend and cycles explain ${
        ranked.map((p) => `${p.name} ${fmt(p.explainedPct, 0)} %`).join(", ")
      } of the hourly variance. NO2 is the most regular because it is mostly secondary, formed over hours from NO and ozone, which smooths it; CO is the least, a primary pollutant whose spikes follow individual traffic events near the inlet. How much a model adds over persistence is another question, answered by the forecast skill in docs/forecasting.md.`,
    ),
    "",
  ];
}

/** Finding 7: Anomalies: real events, failing instruments, outages. */
function finding7(c: MarkdownContext): string[] {
  const { a, f, figure, spikes, e } = c;
  return [
    "### 7. Anomalies: real events, failing instruments, outages",
    "",
    para(
      `${figure("anomalies", "Anomalous episodes")}: ${
        count(a.episodes.length, "episode")
      } in all. ${count(f.causes["analyser outage"], "analyser outage")} of 24 h or more. Of the ${
        count(spikes, "spike episode")
      } (robust z of the decomposition residual, and a seeded isolation forest), ${
        count(f.reasons.agree, "was", "were")
      } real pollution events, with the paired cheap sensor moving the same way (on ${
        count(f.eventDays, "distinct day")
      }); ${f.reasons.disagree} had the sensor disagree, and in ${
        f.reasons["sensor missing at peak"]
      } the sensor was missing at the peak, so nothing could confirm them. ${
        count(f.reasons["sensor block outage"], "more episode")
      } are outages of the whole cheap-sensor block${
        e === null
          ? ""
          : `. The largest real event: ${e.series} on ${dayName(a.calendar.day[e.start]!)}, ${
            fmt(e.peakValue)
          } at its peak (robust z ${fmt(e.peakZ)})`
      }. ${
        fmt(100 * (f.reasons.disagree + f.reasons["sensor missing at peak"]) / spikes, 0)
      } % of the spikes were not confirmed by a second instrument: alerts need that check.`,
    ),
    "",
  ];
}

/** Finding 8: NO2 above the limits. */
function finding8(c: MarkdownContext): string[] {
  const { a, f, figure, no2Hour, no2When, exceedanceLine } = c;
  return [
    "### 8. NO2 above the limits",
    "",
    para(
      `${figure("exceedances", "Hours above the limit")}: ${exceedanceLine}. ${
        no2Hour === undefined
          ? ""
          : `That is ${fmt(no2Hour.above / 18, 0)} times the yearly allowance, in about ${
            fmt(a.range.hours / (24 * 30.44), 0)
          } months of data. `
      }${
        no2When === null
          ? ""
          : `${
            fmt(100 * no2When.coldShare, 0)
          } % of the exceedance hours fell in the cold months (October to March), ${no2When.worstMonthCount} in ${
            monthName(no2When.worstMonth)
          } alone, and the hour with most is ${no2When.peakHour}:00: the shallow winter boundary layer of finding 3 meeting the evening traffic of finding 1. `
      }${
        f.exceedances.filter((x) => x.field !== "no2_ug_m3").map((x) =>
          `${x.label} (${x.threshold} ${x.unit}): ${x.above} of ${x.present} ${
            x.averaging === "1h" ? "hours" : "days"
          } above`
        ).join("; ")
      }.`,
    ),
    "",
  ];
}
