/**
 * lib/kafka/publisher.ts splits each batch into one send per partition (a
 * send across partitions can lose a partition's batch when kafkajs 2.2.4
 * retries it after a leader moved): every group holds the messages of one
 * partition as kafkajs's own partitioner places them, in their order.
 */
import assert from "node:assert/strict";
import { byPartition } from "../../lib/kafka/publisher.ts";

Deno.test("byPartition: one group per partition, in order, keyless together", () => {
  const messages = Array.from({ length: 200 }, (_, i) => ({
    key: `station-${String(i % 10).padStart(3, "0")}`,
    value: String(i),
  }));
  const keyless = [{ key: null, value: "a" }, { value: "b" }];
  const groups = byPartition([...messages, ...keyless], 6);
  // the keyless ones in one group of their own
  assert.deepEqual(groups.at(-1)!.map((m) => m.value), ["a", "b"]);
  const keyed = groups.slice(0, -1);
  assert.ok(keyed.length >= 2 && keyed.length <= 6, `${keyed.length} groups`);
  assert.equal(keyed.flat().length, 200);
  const partitionOfKey = new Map<string, number>();
  keyed.forEach((group, g) => {
    // within a group, the original order
    const values = group.map((m) => Number(m.value));
    assert.deepEqual(values, [...values].sort((a, b) => a - b));
    for (const m of group) {
      const key = String(m.key);
      const seen = partitionOfKey.get(key);
      assert.ok(seen === undefined || seen === g, `${key} in one group only`);
      partitionOfKey.set(key, g);
    }
  });
  // with one partition everything keyed is one send
  assert.equal(byPartition(messages, 1).length, 1);
});
