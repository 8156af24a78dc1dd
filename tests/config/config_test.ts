import assert from "node:assert/strict";
import {
  applyKafkaEnv,
  ConfigError,
  findTopicByRole,
  KafkaConfigSchema,
  loadKafkaConfig,
  loadTopicsConfig,
  parseConfig,
  topicByRole,
  TopicsConfigSchema,
} from "../../lib/config/mod.ts";

Deno.test("the shipped config files are valid", async () => {
  const kafka = await loadKafkaConfig(() => undefined);
  assert.deepEqual(kafka.brokers, ["127.0.0.1:9092"]);
  const topics = await loadTopicsConfig();
  const roles = topics.topics.map((t) => t.role);
  assert.ok(roles.includes("raw") && roles.includes("dead_letter"));
  assert.equal(
    new Set(topics.topics.map((t) => t.name)).size,
    topics.topics.length,
    "unique names",
  );
});

Deno.test("a bad config file gets an error naming the file, the key and what is valid", {
  permissions: "none",
}, () => {
  const text = JSON.stringify({
    topics: [{
      name: "bad name!",
      role: "raw",
      partitions: 1,
      replicationFactor: 1,
      configs: {},
      why: "",
      extra: 1,
    }],
  });
  assert.throws(
    () => parseConfig(text, TopicsConfigSchema, "config/bad.json"),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /Cannot load config from "config\/bad\.json"/);
      assert.match(e.message, /must be a Kafka topic name/);
      assert.match(e.message, /at topics\.0\.name/);
      assert.match(e.message, /extra/);
      return true;
    },
  );
  assert.throws(
    () => parseConfig("{nope", KafkaConfigSchema, "k.json"),
    /k\.json" is not valid JSON/,
  );
});

Deno.test("AIRQ_KAFKA_* overrides brokers, ports, TLS and SASL", async () => {
  const base = await loadKafkaConfig(() => undefined);
  const vars: Record<string, string> = {
    AIRQ_KAFKA_BROKERS: "b1.example.com:9093, b2.example.com:9093",
    AIRQ_KAFKA_CONTROLLER_PORT: "19093",
    AIRQ_KAFKA_SSL: "true",
    AIRQ_KAFKA_SASL_MECHANISM: "scram-sha-512",
    AIRQ_KAFKA_SASL_USERNAME: "airq",
    AIRQ_KAFKA_SASL_PASSWORD: "secret",
  };
  const config = applyKafkaEnv(base, (k) => vars[k]);
  assert.deepEqual(config.brokers, ["b1.example.com:9093", "b2.example.com:9093"]);
  assert.equal(config.local.controllerPort, 19093);
  assert.equal(config.ssl, true);
  assert.deepEqual(config.sasl, {
    mechanism: "scram-sha-512",
    username: "airq",
    password: "secret",
  });
  assert.deepEqual(base.brokers, ["127.0.0.1:9092"], "the loaded config is not mutated");
  assert.throws(
    () => applyKafkaEnv(base, (k) => (k === "AIRQ_KAFKA_BROKERS" ? "no-port" : undefined)),
    /AIRQ_KAFKA_.*\n.*must be host:port/s,
  );
});

Deno.test("the real-time config files are valid, and an unknown key is named", async () => {
  const { ForecasterConfigSchema } = await import("../../lib/realtime/forecaster_config.ts");
  const { AlertsConfigSchema } = await import("../../lib/alerts/mod.ts");
  const { MonitoringConfigSchema } = await import("../../lib/monitoring/mod.ts");
  const read = (name: string) =>
    Deno.readTextFile(new URL(`../../config/${name}`, import.meta.url));
  const forecaster = parseConfig(await read("forecaster.json"), ForecasterConfigSchema, "f.json");
  assert.ok(forecaster.maxBytesPerSend < 1_048_576, "under the broker's default max.message.bytes");
  parseConfig(await read("alerts.json"), AlertsConfigSchema, "alerts.json");
  parseConfig(await read("monitoring.json"), MonitoringConfigSchema, "monitoring.json");
  const bad = JSON.stringify({ ...forecaster, maxBytesPerSnd: 1 });
  assert.throws(() => parseConfig(bad, ForecasterConfigSchema, "f.json"), /maxBytesPerSnd/);
});

Deno.test("topicByRole finds a topic by its role in the file or its list, and names a missing role", async () => {
  const config = await loadTopicsConfig((k) => (k === "AIRQ_TOPIC_PREFIX" ? "p." : undefined));
  const raw = topicByRole(config, "raw");
  assert.equal(raw.role, "raw");
  assert.ok(raw.name.startsWith("p."));
  assert.equal(topicByRole(config.topics, "alerts").role, "alerts");
  const withoutAlerts = config.topics.filter((t) => t.role !== "alerts");
  assert.equal(findTopicByRole(withoutAlerts, "alerts"), undefined);
  assert.throws(() => topicByRole(withoutAlerts, "alerts"), /no topic with role "alerts"/);
});
