import assert from "node:assert/strict";
import { AlertBook, alertId, fnv1a64 } from "../../lib/alerts/mod.ts";

const pure = { permissions: "none" } as const;

Deno.test("fnv1a64() matches the published FNV-1a 64 test vectors", pure, () => {
  assert.equal(fnv1a64(""), "cbf29ce484222325");
  assert.equal(fnv1a64("a"), "af63dc4c8601ec8c");
  assert.equal(fnv1a64("foobar"), "85944171f73967e8");
});

Deno.test("alertId() is 16 hex digits and changes with every part", pure, () => {
  const base = alertId("s1", "exceedance", "eu_no2_1h", "2004-03-10T17:00:00.000Z");
  assert.match(base, /^[0-9a-f]{16}$/);
  assert.equal(base, alertId("s1", "exceedance", "eu_no2_1h", "2004-03-10T17:00:00.000Z"));
  for (
    const other of [
      alertId("s2", "exceedance", "eu_no2_1h", "2004-03-10T17:00:00.000Z"),
      alertId("s1", "early_warning", "eu_no2_1h", "2004-03-10T17:00:00.000Z"),
      alertId("s1", "exceedance", "who_no2_24h", "2004-03-10T17:00:00.000Z"),
      alertId("s1", "exceedance", "eu_no2_1h", "2004-03-10T18:00:00.000Z"),
      alertId(null, "exceedance", null, "2004-03-10T17:00:00.000Z"),
    ]
  ) assert.notEqual(other, base);
});

Deno.test("AlertBook.step() fires, de-duplicates, escalates and resolves", pure, () => {
  const book = new AlertBook(10);
  const scope = book.scope("s1");
  assert.equal(book.scope("s1"), scope, "one scope per station");
  assert.equal(book.step(scope, 3, null, 0), "none", "nothing to resolve");
  assert.equal(book.step(scope, 3, "warning", 0), "fired");
  assert.equal(scope.episodes[3]!.id, "", "the caller names a new episode");
  assert.equal(book.step(scope, 3, "warning", 1), "none");
  assert.equal(book.step(scope, 3, "info", 1), "none", "no de-escalation while firing");
  assert.equal(book.step(scope, 3, "critical", 2), "escalated");
  assert.equal(book.step(scope, 4, "info", 2), "fired", "slots are independent");
  assert.equal(book.firingCount, 2);
  assert.equal(book.step(scope, 3, null, 3), "resolved");
  assert.equal(book.resolve(scope, 4, 3), true);
  assert.equal(book.resolve(scope, 4, 3), false);
  assert.equal(book.firingCount, 0);
  book.clear();
  assert.notEqual(book.scope("s1"), scope);
});

Deno.test("AlertBook counts the cool-down from the firing or from the resolution", pure, () => {
  const fired = new AlertBook(10);
  const resolved = new AlertBook(10, { cooldownFrom: "resolved" });
  for (const book of [fired, resolved]) {
    const s = book.scope(null);
    book.step(s, 0, "critical", 0);
    book.step(s, 0, null, 8);
  }
  assert.equal(fired.step(fired.scope(null), 0, "critical", 9), "none", "9 ms after firing");
  assert.equal(fired.step(fired.scope(null), 0, "critical", 10), "fired", "10 ms after firing");
  const r = resolved.scope(null);
  assert.equal(resolved.step(r, 0, "critical", 10), "none", "2 ms after resolving");
  assert.equal(resolved.step(r, 0, "critical", 17), "none");
  assert.equal(resolved.step(r, 0, "critical", 18), "fired", "10 ms after resolving");
  assert.equal(r.episodes[0]!.firedAt, 18);
  assert.ok(Number.isNaN(r.episodes[0]!.resolvedAt));
});
