/**
 * The one per-station hourly ring index (lib/hour_ring.ts), checked against a
 * plain map of the hours the window should hold after any sequence of hours.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { HourRing } from "../../lib/hour_ring.ts";

/** A ring whose owner stores each slot's hour, and what the ring told it to clear. */
function owned(hours: number) {
  const held = new Array<number | null>(hours).fill(null);
  const cleared: number[] = [];
  const ring = new HourRing(hours, (slot) => {
    cleared.push(held[slot]!);
    held[slot] = null;
  });
  const put = (hour: number) => {
    const where = ring.place(hour);
    if (where !== "too_late") held[ring.take(hour)] = hour;
    return where;
  };
  return { ring, held, cleared, put };
}

Deno.test("in order, late, redelivered and too-late hours", () => {
  const { ring, held, cleared, put } = owned(4);
  assert.equal(ring.latestHour, -Infinity);
  assert.equal(put(100), "advanced");
  assert.equal(put(101), "advanced");
  assert.equal(put(103), "advanced"); // skips 102
  assert.equal(ring.holds(102), false);
  assert.equal(put(102), "inside"); // late, inside the window
  assert.equal(ring.holds(101), true);
  assert.equal(put(101), "inside"); // redelivered: its slot is emptied, then refilled
  assert.deepEqual(cleared, [101]);
  assert.equal(put(99), "too_late");
  assert.equal(put(100), "inside"); // redelivered too
  assert.deepEqual(cleared, [101, 100]);
  assert.equal(ring.firstHour, 100);
  assert.deepEqual([ring.startHour, ring.latestHour], [100, 103]);
  assert.equal(put(104), "advanced"); // 100 leaves the window
  assert.equal(put(100), "too_late");
  assert.deepEqual(cleared, [101, 100, 100]);
  assert.deepEqual([...held].sort(), [101, 102, 103, 104]);
  assert.equal(put(200), "advanced"); // a jump past the window empties every slot once
  assert.deepEqual(cleared.slice(3).sort(), [101, 102, 103, 104]);
  assert.deepEqual(held.filter((h) => h !== null), [200]);
  assert.equal(ring.startHour, 197);
});

Deno.test("negative hours land in slots 0..hours-1", () => {
  const ring = new HourRing(24, () => {});
  for (const hour of [-1, -24, -25, 0, 23, 24]) {
    const slot = ring.slot(hour);
    assert.ok(slot >= 0 && slot < 24 && (slot - hour) % 24 === 0, `${hour} -> ${slot}`);
  }
  assert.throws(() => new HourRing(0, () => {}), RangeError);
});

Deno.test("after any sequence, the ring holds exactly the window's hours seen, and clears each once", () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 8 }),
    fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 60 }),
    (hours, sequence) => {
      const { ring, held, cleared, put } = owned(hours);
      const seen = new Set<number>();
      let latest = -Infinity;
      let placed = 0;
      for (const hour of sequence) {
        const where = put(hour);
        const expected = hour > latest
          ? "advanced"
          : hour <= latest - hours
          ? "too_late"
          : "inside";
        assert.equal(where, expected);
        if (where === "too_late") continue;
        placed++;
        latest = Math.max(latest, hour);
        seen.add(hour);
      }
      const inWindow = [...seen].filter((h) => h > latest - hours).sort((a, b) => a - b);
      assert.deepEqual(held.filter((h) => h !== null).sort((a, b) => a - b), inWindow);
      for (const h of inWindow) assert.ok(ring.holds(h));
      // every placed hour is either held or was cleared exactly once
      assert.equal(cleared.length + inWindow.length, placed);
    },
  ));
});
