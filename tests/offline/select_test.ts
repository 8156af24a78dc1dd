import assert from "node:assert/strict";
import { observedAhead } from "../../lib/offline/select.ts";

const pure = { permissions: "none" } as const;

Deno.test(
  "observedAhead() puts y[t + h] at information index t for targets in the span only",
  pure,
  () => {
    const y = Float64Array.from({ length: 10 }, (_, i) => 10 * i);
    y[6] = NaN;
    const obs = observedAhead(y, 2, { from: 4, to: 7 });
    // targets 4..7 are seen from indices 2..5; index 4 looks at the missing y[6]
    assert.deepEqual(Array.from(obs), [NaN, NaN, 40, 50, NaN, 70, NaN, NaN, NaN, NaN]);
    assert.equal(observedAhead(y, 0, { from: 1, to: 1 })[1], 10);
  },
);
