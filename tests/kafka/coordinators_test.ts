/**
 * The coordinator cache (lib/kafka/coordinators.ts): on the real broker, a
 * transactional producer's transactions (produce, offsets, commit) stop
 * sending three FindCoordinator requests each, and the committed records are
 * all there; on a stand-in cluster, an entry expires, a failed lookup is not
 * kept, a metadata refresh empties the cache and a group's coordinator is
 * never cached.
 */
import assert from "node:assert/strict";
import type { TopicConfig } from "../../lib/config/mod.ts";
import {
  createKafka,
  ensureTopics,
  readAll,
  TransactionalProducers,
  withAdmin,
} from "../../lib/kafka/mod.ts";
import { cacheCoordinators, type CoordinatorStats } from "../../lib/kafka/coordinators.ts";
import { testKafkaConfig, unique } from "../_kafka.ts";

const config = await testKafkaConfig();

function topicOf(name: string): TopicConfig {
  return { name, role: "raw", partitions: 1, replicationFactor: 1, configs: {}, why: "test" };
}

Deno.test("coordinator cache: 20 transactions find their transaction coordinator once, not 60 times", async () => {
  const kafka = createKafka(config, { clientId: "airq-test-coordinators" });
  const input = topicOf(unique("airq-test-coord-in"));
  const output = topicOf(unique("airq-test-coord-out"));
  await withAdmin(kafka, (admin) => ensureTopics(admin, [input, output]));
  // the group exists (its coordinator loaded) before the first transaction, as the
  // forecaster's does: it joined it
  const groupId = unique("airq-test-coord-group");
  await withAdmin(
    kafka,
    (admin) =>
      admin.setOffsets({ groupId, topic: input.name, partitions: [{ partition: 0, offset: "0" }] }),
  );
  const producers = new TransactionalProducers({
    kafka,
    transactionalIdPrefix: unique("airq-test-coord-tx"),
    groupId,
    topic: input.name,
    retry: { initialRetryTime: 20, retries: 10 },
  });
  const before = { ...kafka.coordinatorStats };
  try {
    for (let i = 0; i < 20; i++) {
      await producers.commit(0, String(i + 1), async (transaction) => {
        await transaction.send({ topic: output.name, messages: [{ key: "s", value: String(i) }] });
      });
    }
  } finally {
    await producers.closeAll();
  }
  const lookups = kafka.coordinatorStats.lookups - before.lookups;
  const hits = kafka.coordinatorStats.hits - before.hits;
  // without the cache: 4 lookups a transaction (3 of the transaction coordinator, for
  // AddPartitionsToTxn, AddOffsetsToTxn and EndTxn, and 1 of the group's, for TxnOffsetCommit)
  // and 1 to connect; with it, the transaction coordinator once (per 5 s)
  assert.ok(lookups <= 20 + 3, `${lookups} FindCoordinator requests for 20 transactions`);
  assert.ok(hits >= 20 * 3 - 3, `${hits} lookups answered from the cache`);
  const values = (await readAll(kafka, output.name, 20)).map((v) => new TextDecoder().decode(v));
  assert.deepEqual(values, Array.from({ length: 20 }, (_, i) => String(i)));
});

Deno.test("coordinator cache: kafkajs's client has the cluster factory it wraps", () => {
  // a kafkajs upgrade that renames it must fail here, not silently lose the cache
  assert.equal(cacheCoordinators(createKafka(config), 5_000), true);
  assert.equal(cacheCoordinators({}, 5_000), false);
});

Deno.test("coordinator cache: expiry, failed lookups, metadata refreshes, group lookups", async () => {
  let calls = 0;
  let fail = false;
  const factory = Symbol("private:Kafka:createCluster");
  const client = {
    [factory]: () => ({
      findGroupCoordinatorMetadata: ({ groupId }: { groupId: string }) => {
        calls++;
        return fail ? Promise.reject(new Error("not available")) : Promise.resolve({ groupId });
      },
      refreshMetadata: () => Promise.resolve(),
    }),
  };
  const stats: CoordinatorStats = { hits: 0, lookups: 0 };
  assert.equal(cacheCoordinators(client, 50, stats), true);
  const cluster = (client[factory] as () => {
    findGroupCoordinatorMetadata(
      a: { groupId: string; coordinatorType?: number },
    ): Promise<unknown>;
    refreshMetadata(): Promise<unknown>;
  })();
  const tx = { groupId: "t", coordinatorType: 1 };
  await cluster.findGroupCoordinatorMetadata(tx);
  await cluster.findGroupCoordinatorMetadata(tx);
  assert.equal(calls, 1, "the second lookup within the TTL is cached");
  await cluster.findGroupCoordinatorMetadata({ groupId: "t" });
  await cluster.findGroupCoordinatorMetadata({ groupId: "t", coordinatorType: 0 });
  assert.equal(calls, 3, "a consumer group's coordinator is always looked up");
  await new Promise((r) => setTimeout(r, 60));
  await cluster.findGroupCoordinatorMetadata(tx);
  assert.equal(calls, 4, "an expired entry is looked up again");
  await cluster.refreshMetadata();
  await cluster.findGroupCoordinatorMetadata(tx);
  assert.equal(calls, 5, "a metadata refresh empties the cache");
  fail = true;
  await new Promise((r) => setTimeout(r, 60));
  await assert.rejects(cluster.findGroupCoordinatorMetadata(tx));
  fail = false;
  await cluster.findGroupCoordinatorMetadata(tx);
  assert.equal(calls, 7, "a failed lookup is not kept");
  assert.deepEqual(stats, { hits: 1, lookups: 5 });
});
