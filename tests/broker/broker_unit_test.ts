import assert from "node:assert/strict";
import {
  BrokerError,
  isLocalCluster,
  LocalBroker,
  parseJavaMajor,
  pinnedKafkaVersion,
  randomClusterId,
  resolveDirs,
  runTool,
} from "../../lib/harness/broker/mod.ts";
import { CONFIG_DIR, type KafkaConfig, loadKafkaConfig } from "../../lib/config/mod.ts";

const base: KafkaConfig = await loadKafkaConfig(() => undefined);

Deno.test("parseJavaMajor reads old and new version strings", { permissions: "none" }, () => {
  assert.equal(parseJavaMajor('openjdk version "17.0.15" 2025-04-15'), 17);
  assert.equal(parseJavaMajor('openjdk version "21" 2023-09-19'), 21);
  assert.equal(parseJavaMajor('java version "1.8.0_402"'), 8);
  assert.equal(parseJavaMajor("bash: java: command not found"), null);
});

Deno.test(
  "a cluster is local only when every broker is on loopback",
  { permissions: "none" },
  () => {
    assert.equal(isLocalCluster({ ...base, brokers: ["127.0.0.1:9092"] }), true);
    assert.equal(isLocalCluster({ ...base, brokers: ["localhost:19092"] }), true);
    assert.equal(isLocalCluster({ ...base, brokers: ["[::1]:9092"] }), true);
    assert.equal(isLocalCluster({ ...base, brokers: ["127.0.0.1:9092", "kafka:9092"] }), false);
    assert.equal(isLocalCluster({ ...base, brokers: ["b-1.msk.amazonaws.com:9096"] }), false);
  },
);

Deno.test("LocalBroker refuses external clusters and clashing ports", () => {
  const options = { stateDir: "/tmp/x", cacheDir: "/tmp/y", configDir: CONFIG_DIR };
  assert.throws(
    () => new LocalBroker({ ...options, config: { ...base, brokers: ["kafka.example.com:9092"] } }),
    (e: unknown) => e instanceof BrokerError && e.code === "external-cluster",
  );
  assert.throws(
    () =>
      new LocalBroker({
        ...options,
        config: {
          ...base,
          brokers: ["127.0.0.1:9093"],
          local: { ...base.local, controllerPort: 9093 },
        },
      }),
    (e: unknown) => e instanceof BrokerError && /AIRQ_KAFKA_CONTROLLER_PORT/.test(e.message),
  );
});

Deno.test("cluster ids are 22 base64url characters that never start with a dash", {
  permissions: "none",
}, () => {
  for (let i = 0; i < 500; i++) {
    const id = randomClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  }
});

Deno.test("the Kafka version is pinned once, in config/kafka/pom.xml", async () => {
  const pom = await Deno.readTextFile(new URL("kafka/pom.xml", CONFIG_DIR));
  assert.match(pinnedKafkaVersion(pom), /^4\.\d+\.\d+$/);
  assert.throws(() => pinnedKafkaVersion("<project/>"), /kafka\.version/);
});

Deno.test("state and cache folders default under HOME and follow AIRQ_* overrides", {
  permissions: "none",
}, () => {
  const env = (m: Record<string, string>) => (k: string) => m[k];
  assert.deepEqual(resolveDirs(env({ HOME: "/home/a" })), {
    stateDir: "/home/a/.local/state/airq",
    cacheDir: "/home/a/.cache/airq",
  });
  assert.deepEqual(resolveDirs(env({ AIRQ_STATE_DIR: "/s", AIRQ_CACHE_DIR: "/c" })), {
    stateDir: "/s",
    cacheDir: "/c",
  });
  assert.throws(() => resolveDirs(env({})), /HOME is not set/);
});

Deno.test("a system tool killed by a signal is asked again, not read as an answer", async () => {
  // the first run kills itself with SIGTERM, as a signal to the whole process group does to a
  // `ps` the demo runs while it stops; read as "no such process", the demo forgot its broker
  const dir = await Deno.makeTempDir({ prefix: "airq-run-tool-" });
  try {
    const mark = `${dir}/ran`;
    const script = `if [ ! -f ${mark} ]; then touch ${mark}; kill -TERM $$; fi; echo answered`;
    const result = await runTool("sh", ["-c", script]);
    assert.deepEqual(result, { ok: true, out: "answered\n" });
    // a tool that exits non-zero on its own is an answer, and is not retried
    const refused = await runTool("sh", ["-c", `echo no; exit 1`]);
    assert.deepEqual(refused, { ok: false, out: "no\n" });
    assert.equal(await runTool("airq-no-such-tool", []), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
