/** The evaluation summary's numbers against their goals never round onto the goal. */
import assert from "node:assert/strict";
import { fGoal } from "../../lib/offline/report_format.ts";

Deno.test("fGoal: 3 decimals, 4 when 3 would print the goal for a value that is not it", () => {
  assert.equal(fGoal(0.15975, 0.16), "0.1598"); // would read "0.160" next to "missed"
  assert.equal(fGoal(0.16004, 0.16), "0.1600"); // met, but not exactly the goal either
  assert.equal(fGoal(0.16, 0.16), "0.160");
  assert.equal(fGoal(0.2531, 0.25), "0.253");
  assert.equal(fGoal(0.2496, 0.25), "0.2496");
  assert.equal(fGoal(Number.NaN, 0.25), "n/a");
});
