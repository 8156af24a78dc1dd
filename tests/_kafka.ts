/**
 * Test helpers for the real broker that `deno task test` starts: its config,
 * unique topic and group names, a waitFor that polls instead of sleeping; and
 * the kafkajs pieces several Kafka tests share (partition metadata for a
 * partitioner called by hand, warming a new topic's partitions, counting a
 * topic's records, a client whose produce requests a test can intercept).
 *
 * @module
 */
import net from "node:net";
import { type KafkaConfig, loadKafkaConfig } from "../lib/config/mod.ts";
import { type Admin, Kafka, type Partitioners } from "../lib/kafka/mod.ts";

type PartitionMetadata = Parameters<
  ReturnType<typeof Partitioners.DefaultPartitioner>
>[0]["partitionMetadata"][number];

/** The test broker's config; fails loudly when the tests run outside `deno task test`. */
export async function testKafkaConfig(): Promise<KafkaConfig> {
  const brokers = Deno.env.get("AIRQ_KAFKA_BROKERS");
  if (!brokers || Deno.env.get("AIRQ_TEST_KAFKA") !== "1") {
    throw new Error(
      "These tests need the broker that `deno task test` starts (AIRQ_KAFKA_BROKERS and " +
        "AIRQ_TEST_KAFKA=1 are not set). Run them with `deno task test [file]`.",
    );
  }
  return await loadKafkaConfig((name) => Deno.env.get(name));
}

/** A unique name with a prefix, for topics and groups of one test. */
export function unique(prefix: string): string {
  return `${prefix}.${crypto.randomUUID().slice(0, 8)}`;
}

/** Polls `predicate` until it is true or `timeoutMs` passes. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 20_000, intervalMs = 50, what = "condition" } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export { freePort } from "../lib/harness/broker/mod.ts";

/** kafkajs's metadata of `partitions` partitions led by broker 1, to call a partitioner by hand. */
export function partitionMetadata(partitions: number): PartitionMetadata[] {
  return Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));
}

/**
 * Writes one message to every partition of `topic`, so that each takes writes
 * before the test's own send (a just-created topic may answer
 * NOT_LEADER_OR_FOLLOWER for a moment).
 */
export async function warmPartitions(
  kafka: Kafka,
  topic: string,
  partitions: number,
): Promise<void> {
  const warm = kafka.producer();
  await warm.connect();
  await warm.send({
    topic,
    acks: -1,
    messages: Array.from({ length: partitions }, (_, partition) => ({ partition, value: "warm" })),
  }).finally(() => warm.disconnect());
}

/** The records `topic` holds: the sum of its partitions' end offsets. */
export async function recordCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, o) => sum + Number(o.high), 0);
}

const PRODUCE = 0; // Kafka API key of a produce request

/**
 * A kafkajs client of the test broker (its logs silenced: the failures a test
 * provokes are expected) that calls `onProduce` with the connection before
 * each produce request is written (and the port it goes to); the request
 * goes out when it returns true and is held back when it returns false:
 * swallowed, unless `onProduce` calls `release` later, which writes it then.
 */
export function clientInterceptingProduce(
  clientId: string,
  brokers: string[],
  onProduce: (socket: net.Socket, port: number, release: () => void) => boolean,
): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logCreator: () => () => {},
    socketFactory: ({ host, port, onConnect }) => {
      const socket = net.connect({ host, port }, onConnect);
      const write = socket.write.bind(socket) as (chunk: Uint8Array, encoding: string) => boolean;
      // kafkajs writes each request as one buffer: size (int32), then the API key (int16)
      (socket as { write: typeof write }).write = (chunk, encoding) => {
        const produce = chunk.length >= 6 &&
          new DataView(chunk.buffer, chunk.byteOffset).getInt16(4) === PRODUCE;
        return produce && !onProduce(socket, port, () => write(chunk, encoding))
          ? true
          : write(chunk, encoding);
      };
      return socket;
    },
  });
}

/** Creates `topic` with `partitions` partitions and waits for their leaders. */
export async function createTopic(kafka: Kafka, topic: string, partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}
