/**
 * Kafka access for airq: the client factory (the only kafkajs import), the
 * bounded first contact every command makes (`awaitCluster`), topic creation
 * and the cluster overview.
 *
 * @module
 */
export {
  type Admin,
  CompressionTypes,
  ConfigResourceTypes,
  type Consumer,
  type ConsumerConfig,
  type ConsumerRunConfig,
  createKafka,
  type CreateKafkaOptions,
  type EachBatchPayload,
  type ITopicConfig,
  Kafka,
  type Message,
  Partitioners,
  type Producer,
  type ProducerConfig,
  type RecordMetadata,
  type Transaction,
  withAdmin,
} from "./client.ts";
export { readCommittedFixInstalled, withoutAborted } from "./read_committed.ts";
export { sendMessagesFixInstalled } from "./send_messages.ts";
export { fetchManagerFixInstalled } from "./fetch_manager.ts";
export { crc32c, crc32cInstalled } from "./crc32c.ts";
export {
  encodeRecordBatch,
  kafkajsEncoders,
  prepareRecord,
  recordBatchInstalled,
} from "./record_batch.ts";
export {
  alignTopicConfigs,
  cappedToBrokers,
  type ClusterStatus,
  clusterStatus,
  ensureTopics,
  groupLag,
  type GroupStatus,
  topicEndOffset,
  type TopicSpec,
  type TopicStatus,
} from "./admin.ts";
export {
  awaitCluster,
  type AwaitClusterOptions,
  type ClusterContact,
  ClusterUnreachableError,
} from "./cluster.ts";
export {
  attachLedger,
  type BatchSender,
  idempotentProducer,
  IncompleteSendError,
  ledgerOf,
  PartitionLedger,
  RetryStablePartitioner,
  sendComplete,
  type SendCompleteOptions,
  type TopicMessages,
} from "./idempotent.ts";
export {
  DEAD_LETTER_DETAIL_MAX,
  DEAD_LETTER_REASON_HEADER,
  deadLetterMessage,
  type DeadLetterParts,
  deadLetterReason,
} from "./dead_letters.ts";
export {
  type Abandoned,
  BatchPublisher,
  type PublisherOptions,
  type PublisherStats,
} from "./publisher.ts";
export {
  batchHeartbeat,
  commitBatchOffset,
  CoordinatorUnreachable,
  coordinatorUnreachable,
  rejoinOnUnreachable,
} from "./commit.ts";
export { readAll, type ReadAllOptions, readAllRecords, type TopicRecord } from "./readback.ts";
export { SupervisedMember, type SupervisedMemberOptions } from "./supervised.ts";
export {
  assignedPartitions,
  PRODUCED_AT_HEADER,
  producedAtHeaderMs,
  runStream,
  type StreamGroup,
  type StreamOptions,
  type StreamRun,
} from "./stream.ts";
export {
  Slots,
  TransactionalProducers,
  type TransactionalProducersOptions,
  type TransactionFaults,
  type TransactionTimes,
} from "./transactions.ts";
