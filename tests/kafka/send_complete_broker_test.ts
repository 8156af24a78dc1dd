/**
 * Why `sendComplete`'s resend cannot write a message twice, on the real
 * broker (lib/kafka/idempotent.ts, "Complete sends").
 *
 * kafkajs 2.2.4 can resolve a send whose request to some partitions failed
 * (tulios/kafkajs#1303); a failed request may have been written all the same.
 * Here the producer's first produce request is written by the broker but its
 * answer is lost (the connection drops), and kafkajs's one retry is dropped
 * before it reaches the broker, so kafkajs gives up with its sequence numbers
 * rolled back; the stand-in sender then resolves that send with no partition
 * in its answer, as kafkajs does in the bug. `sendComplete` sends every
 * message again, on the same producer, and the broker takes the batches for
 * the duplicates they are: the topic holds each message once.
 */
import assert from "node:assert/strict";
import net from "node:net";
import {
  type BatchSender,
  createKafka,
  ensureTopics,
  idempotentProducer,
  Kafka,
  ledgerOf,
  type Message,
  sendComplete,
  withAdmin,
} from "../../lib/kafka/mod.ts";
import {
  clientInterceptingProduce,
  recordCount,
  testKafkaConfig,
  unique,
  waitFor,
  warmPartitions,
} from "../_kafka.ts";

const config = await testKafkaConfig();
const PARTITIONS = 6;

type Phase = "hold" | "drop" | "pass";

/**
 * A client whose first produce request goes out with its answer held back
 * (`held` resolves with that connection), whose later produce requests are
 * dropped with their connection while `phase.now` is "drop", and pass once it
 * is "pass".
 */
function trappedClient(phase: { now: Phase }): { kafka: Kafka; held: Promise<net.Socket> } {
  let hold!: (socket: net.Socket) => void;
  const held = new Promise<net.Socket>((resolve) => (hold = resolve));
  const kafka = clientInterceptingProduce("airq-test-send-complete", config.brokers, (socket) => {
    if (phase.now === "hold") {
      phase.now = "drop";
      socket.pause(); // kafkajs reads 'data' events: none arrive while paused
      hold(socket);
    } else if (phase.now === "drop") {
      queueMicrotask(() => socket.destroy(new Error("the produce request was dropped")));
      return false;
    }
    return true;
  });
  return { kafka, held };
}

Deno.test("sendComplete: resending a failed request the broker had written stores every message once", async () => {
  const adminKafka = createKafka(config, {
    clientId: "airq-test-send-complete-admin",
    quiet: true,
  });
  const topic = unique("airq.test.resend");
  const messages: Message[] = [
    ...Array.from({ length: 30 }, (_, i) => ({ key: `station-${i % 10}`, value: `keyed ${i}` })),
    { key: null, value: "keyless 1" },
    { key: null, value: "keyless 2" },
  ];
  await withAdmin(adminKafka, async (admin) => {
    await ensureTopics(admin, [{
      name: topic,
      partitions: PARTITIONS,
      replicationFactor: 1,
      configs: {},
    }]);
    const records = () => recordCount(admin, topic);
    await warmPartitions(adminKafka, topic, PARTITIONS);

    const phase = { now: "hold" as Phase };
    const { kafka, held } = trappedClient(phase);
    // one retry: kafkajs gives up once it was dropped (the idempotent producer requires at least one)
    const producer = idempotentProducer(kafka, { retry: { retries: 1, initialRetryTime: 50 } });
    await producer.connect();
    try {
      let failures = 0;
      const sender: BatchSender = {
        sendBatch: (batch) =>
          producer.sendBatch(batch).catch((error: unknown) => {
            if (failures++ > 0) throw error;
            phase.now = "pass";
            return []; // resolved without the failed request's partitions, as in the bug
          }),
      };
      const sending = sendComplete(sender, ledgerOf(producer), [{ topic, messages }]);
      const socket = await held;
      await waitFor(async () => (await records()) === PARTITIONS + messages.length, {
        what: "the broker to write the held request",
      });
      socket.destroy(new Error("the answer to the produce request was lost"));
      const requests = await sending;
      assert.equal(failures, 1, "kafkajs gave up on the first request");
      assert.equal(requests, 2, "sendComplete sent every message again");
      assert.equal((await records()) - PARTITIONS, messages.length, "each message once");
    } finally {
      await producer.disconnect();
    }
  });
});
