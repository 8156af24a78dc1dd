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
import { testKafkaConfig, unique, waitFor } from "../_kafka.ts";

const config = await testKafkaConfig();
const PARTITIONS = 6;
const PRODUCE = 0; // Kafka API key of a produce request

type Phase = "hold" | "drop" | "pass";

/**
 * A client whose first produce request goes out with its answer held back
 * (`held` resolves with that connection), whose later produce requests are
 * dropped with their connection while `phase()` is "drop", and pass once it
 * is "pass".
 */
function trappedClient(phase: { now: Phase }): { kafka: Kafka; held: Promise<net.Socket> } {
  let hold!: (socket: net.Socket) => void;
  const held = new Promise<net.Socket>((resolve) => (hold = resolve));
  const kafka = new Kafka({
    clientId: "airq-test-send-complete",
    brokers: config.brokers,
    logCreator: () => () => {}, // the failures it provokes are expected
    socketFactory: ({ host, port, onConnect }) => {
      const socket = net.connect({ host, port }, onConnect);
      const write = socket.write.bind(socket) as (chunk: Uint8Array, encoding: string) => boolean;
      (socket as { write: typeof write }).write = (chunk, encoding) => {
        const produce = chunk.length >= 6 &&
          new DataView(chunk.buffer, chunk.byteOffset).getInt16(4) === PRODUCE;
        if (produce && phase.now === "hold") {
          phase.now = "drop";
          socket.pause(); // kafkajs reads 'data' events: none arrive while paused
          hold(socket);
        } else if (produce && phase.now === "drop") {
          queueMicrotask(() => socket.destroy(new Error("the produce request was dropped")));
          return true;
        }
        return write(chunk, encoding);
      };
      return socket;
    },
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
    const records = async () =>
      (await admin.fetchTopicOffsets(topic)).reduce((sum, o) => sum + Number(o.high), 0);
    // every partition takes writes before the trapped send (a new topic may refuse them a moment)
    const warm = adminKafka.producer();
    await warm.connect();
    await warm.send({
      topic,
      acks: -1,
      messages: Array.from(
        { length: PARTITIONS },
        (_, partition) => ({ partition, value: "warm" }),
      ),
    }).finally(() => warm.disconnect());

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
