/** The evaluation summary's numbers against their goals never round onto the goal. */
import assert from "node:assert/strict";
import { fGoal } from "../../lib/offline/report_format.ts";
import { GOALS, renderSummary } from "../../lib/offline/report.ts";
import { EvaluationReportSchema } from "../../lib/records/mod.ts";

Deno.test("fGoal: 3 decimals, 4 when 3 would print the goal for a value that is not it", () => {
  assert.equal(fGoal(0.15975, 0.16), "0.1598"); // would read "0.160" next to "missed"
  assert.equal(fGoal(0.16004, 0.16), "0.1600"); // met, but not exactly the goal either
  assert.equal(fGoal(0.16, 0.16), "0.160");
  assert.equal(fGoal(0.2531, 0.25), "0.253");
  assert.equal(fGoal(0.2496, 0.25), "0.2496");
  assert.equal(fGoal(Number.NaN, 0.25), "n/a");
});

Deno.test("the warning goal rows are the issue's leads; another lead is reported without a goal", async () => {
  const report = EvaluationReportSchema.parse(
    JSON.parse(await Deno.readTextFile("docs/reports/evaluation.json")),
  );
  const w = report.warning_no2_200;
  const day = { ...w.by_lead_h[0]!, lead_h: 24, f1: 0.4, persistence_f1: 0.45 };
  const summary = renderSummary(
    { ...report, warning_no2_200: { ...w, by_lead_h: [...w.by_lead_h, day] } },
    "test",
  );
  const cells = (lead: number) =>
    (summary.split("\n").find((l) => l.includes(`NO2 > 200 warning ${lead} h ahead`)) ?? "")
      .split("|").map((c) => c.trim()).slice(1, 5);
  for (const lead of GOALS.warningLeadsH) {
    const goal = cells(lead);
    assert.match(goal[0]!, /F1 >= persistence's \+ 0\.05$/);
    assert.match(goal[1]!, /^>= 0\.\d{3}$/);
    assert.match(goal[3]!, /^(met|\*\*missed\*\*)$/);
  }
  assert.deepEqual(cells(24), [
    "NO2 > 200 warning 24 h ahead: F1 (persistence's 0.450)",
    "none",
    "0.400",
    "",
  ]);
});
