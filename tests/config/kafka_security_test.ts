/**
 * External-cluster settings without a broker: TLS files, SASL (PLAIN, SCRAM,
 * OAUTHBEARER), the .properties pass-through and its errors, and the
 * launcher's permission widening (lib/cli/launch.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  applyKafkaEnv,
  applyKafkaProperties,
  ConfigError,
  type KafkaConfig,
  loadKafkaConfig,
  parseProperties,
} from "../../lib/config/mod.ts";
import { saslOptions, tlsOptions } from "../../lib/kafka/client.ts";
import { afterLauncher, kafkaGrants, LAUNCHER, widenArgv } from "../../lib/cli/launch.ts";
import { taskArgv } from "../../lib/harness/tasks.ts";

const base: KafkaConfig = await loadKafkaConfig(() => undefined);
const props = (text: string, config = base) =>
  applyKafkaProperties(config, parseProperties(text), "/etc/airq/client.properties");

Deno.test("the properties format: separators, comments, continuations, escapes", {
  permissions: "none",
}, () => {
  const parsed = parseProperties(
    "# comment\n! also\n a = 1\nb:2\nc 3\nd=x\\\n   y\\=z\ne=\\u0041\\\\\n\nf=",
  );
  assert.deepEqual(parsed.map((p) => [p.key, p.value, p.line]), [
    ["a", "1", 3],
    ["b", "2", 4],
    ["c", "3", 5],
    ["d", "xy=z", 6],
    ["e", "A\\", 8],
    ["f", "", 10],
  ]);
});

Deno.test("a managed cluster's properties: SASL_SSL, SCRAM in JAAS, a PEM truststore", {
  permissions: "none",
}, () => {
  const config = props([
    "bootstrap.servers=SASL_SSL://b-1.example.com:9096,b-2.example.com:9096",
    "security.protocol=SASL_SSL",
    "sasl.mechanism=SCRAM-SHA-512",
    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\",
    '  username="airq" password="p\\\\"w";',
    "ssl.truststore.type=PEM",
    "ssl.truststore.location=ca.pem",
    "client.id=airq-prod",
  ].join("\n"));
  assert.deepEqual(config.brokers, ["b-1.example.com:9096", "b-2.example.com:9096"]);
  assert.deepEqual(config.ssl, { ca: "/etc/airq/ca.pem" }, "relative to the file's folder");
  assert.deepEqual(config.sasl, { mechanism: "scram-sha-512", username: "airq", password: 'p"w' });
  assert.equal(config.clientId, "airq-prod");
  // librdkafka's names, mutual TLS, PLAIN
  const mtls = props(
    "security.protocol=SSL\nssl.ca.location=/c/ca.pem\nssl.certificate.location=/c/me.pem\n" +
      "ssl.key.location=/c/me.key",
  );
  assert.deepEqual(mtls.ssl, { ca: "/c/ca.pem", cert: "/c/me.pem", key: "/c/me.key" });
  assert.equal(mtls.sasl, null);
  const plain = props(
    "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.username=u\nsasl.password=p",
  );
  assert.equal(plain.ssl, false);
  assert.deepEqual(plain.sasl, { mechanism: "plain", username: "u", password: "p" });
  const oauth = props(
    "security.protocol=SASL_SSL\nsasl.mechanism=OAUTHBEARER\nsasl.jaas.config=" +
      "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
  );
  assert.deepEqual(oauth.sasl, { mechanism: "oauthbearer" });
  assert.equal(oauth.ssl, true);
});

Deno.test("properties airq cannot honour are errors naming the file, line and key", {
  permissions: "none",
}, () => {
  const cases: [string, RegExp][] = [
    ["linger.ms=5", /client\.properties:1: linger\.ms is not a property airq understands/],
    [
      "security.protocol=SSL\nssl.truststore.location=/x/truststore.jks",
      /:2: ssl\.truststore\.location=.*default truststore type is JKS/,
    ],
    ["ssl.truststore.type=JKS", /:1: ssl\.truststore\.type=JKS: only PEM.*keytool -exportcert/],
    ["ssl.keystore.location=/x/ks.p12", /:1: ssl\.keystore\.location is not supported.*PEM/],
    ["ssl.endpoint.identification.algorithm=", /always verifies the broker's host name/],
    ["security.protocol=SASL_SSL", /needs sasl\.mechanism.*GSSAPI/],
    ["security.protocol=SASL_SSL\nsasl.mechanism=GSSAPI", /:2: sasl\.mechanism=GSSAPI.*kafkajs/],
    [
      "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nsasl.jaas.config=" +
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="u";',
      /:3: sasl\.jaas\.config=.*PLAIN needs the PlainLoginModule/,
    ],
    ["sasl.oauthbearer.token.endpoint.url=https://x", /AIRQ_KAFKA_OAUTH_TOKEN/],
  ];
  for (const [text, expected] of cases) assert.throws(() => props(text), expected, text);
});

Deno.test("AIRQ_KAFKA_PROPERTIES: read by loadKafkaConfig, env still wins; bad files named", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-props-" });
  try {
    const file = join(dir, "client.properties");
    await Deno.writeTextFile(
      file,
      "bootstrap.servers=k1.example.com:9093\nsecurity.protocol=SSL\n",
    );
    const vars: Record<string, string> = { AIRQ_KAFKA_PROPERTIES: file };
    const config = await loadKafkaConfig((k) => vars[k]);
    assert.deepEqual(config.brokers, ["k1.example.com:9093"]);
    assert.equal(config.ssl, true);
    vars["AIRQ_KAFKA_BROKERS"] = "k2.example.com:9093";
    assert.deepEqual((await loadKafkaConfig((k) => vars[k])).brokers, ["k2.example.com:9093"]);
    await assert.rejects(
      loadKafkaConfig((k) => (k === "AIRQ_KAFKA_PROPERTIES" ? join(dir, "nope") : undefined)),
      (e: unknown) => e instanceof ConfigError && /AIRQ_KAFKA_PROPERTIES=".*nope"/.test(e.message),
    );
    await Deno.writeTextFile(file, "bootstrap.servers=no-port\n");
    await assert.rejects(
      loadKafkaConfig((k) => vars[k]),
      /Invalid Kafka settings from AIRQ_KAFKA_PROPERTIES=.*\n.*must be host:port/s,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TLS files: a missing or non-PEM file is an error naming the setting and the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-tls-" });
  try {
    const missing = join(dir, "ca.pem");
    assert.throws(
      () => tlsOptions({ ca: missing }),
      new RegExp(`ssl\\.ca: cannot read "${missing}".*AIRQ_KAFKA_SSL_CA`),
    );
    const jks = join(dir, "client.jks");
    await Deno.writeTextFile(jks, "\u00fe\u00ed\u00fe\u00ed binary");
    const key = join(dir, "client.key");
    await Deno.writeTextFile(key, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assert.throws(
      () => tlsOptions({ cert: jks, key }),
      new RegExp(`ssl\\.cert: "${jks}" is not a PEM certificate.*ssl\\.certificate\\.location`),
    );
    const ca = join(dir, "ca.crt");
    await Deno.writeTextFile(ca, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    const tls = tlsOptions({ ca, servername: "kafka.internal" });
    assert.ok(typeof tls === "object");
    assert.equal(tls.rejectUnauthorized, true);
    assert.equal(tls.servername, "kafka.internal");
    assert.equal(tlsOptions(false), false);
    assert.equal(tlsOptions(true), true);
    // cert without key is refused when the config is read
    assert.throws(
      () => applyKafkaEnv(base, (k) => (k === "AIRQ_KAFKA_SSL_CERT" ? jks : undefined)),
      /cert and key go together/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OAUTHBEARER: the token is read at each authentication, from the file or the variable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-oauth-" });
  try {
    const file = join(dir, "token");
    await Deno.writeTextFile(file, "first\n");
    const vars: Record<string, string> = {
      AIRQ_KAFKA_SASL_MECHANISM: "oauthbearer",
      AIRQ_KAFKA_OAUTH_TOKEN_FILE: file,
    };
    const config = applyKafkaEnv(base, (k) => vars[k]);
    assert.deepEqual(config.sasl, { mechanism: "oauthbearer", tokenFile: file });
    const sasl = saslOptions(config.sasl!);
    assert.ok(sasl.mechanism === "oauthbearer");
    assert.deepEqual(await sasl.oauthBearerProvider(), { value: "first" });
    await Deno.writeTextFile(file, "refreshed");
    assert.deepEqual(await sasl.oauthBearerProvider(), { value: "refreshed" });
    const fromEnv = saslOptions({ mechanism: "oauthbearer", tokenEnv: "AIRQ_TEST_NO_SUCH_TOKEN" });
    assert.ok(fromEnv.mechanism === "oauthbearer");
    await assert.rejects(fromEnv.oauthBearerProvider(), /AIRQ_TEST_NO_SUCH_TOKEN is not set/);
    const scram = {
      ...base,
      sasl: { mechanism: "scram-sha-256" as const, username: "u", password: "p" },
    };
    assert.throws(
      () => applyKafkaEnv(scram, (k) => (k === "AIRQ_KAFKA_OAUTH_TOKEN_FILE" ? file : undefined)),
      /AIRQ_KAFKA_OAUTH_TOKEN_FILE is set but the SASL mechanism is scram-sha-256/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "the launcher widens --allow-net by the brokers and allowHosts, --allow-read by the files",
  {
    permissions: "none",
  },
  () => {
    const task = [
      "deno",
      "run",
      "--no-prompt",
      "--v8-flags=--max-old-space-size=160",
      "--allow-read=.,/home/u,/tmp",
      "--allow-net=127.0.0.1,localhost",
      "consumer.ts",
      "--db",
      "x.db",
    ];
    // loopback (the default): nothing changes
    assert.deepEqual(widenArgv(task, kafkaGrants(base)), task);
    const external = applyKafkaEnv(base, (k) =>
      ({
        AIRQ_KAFKA_BROKERS: "b-1.example.com:9096,b-2.example.com:9096",
        AIRQ_KAFKA_SSL_CA: "/etc/ssl/kafka/ca.pem",
        AIRQ_KAFKA_ALLOW_HOSTS: "*.example.com:9096,auth.example.com:443",
      } as Record<string, string>)[k]);
    const widened = widenArgv(task, kafkaGrants(external, "/home/u/.config/airq/c.properties"));
    assert.deepEqual(widened, [
      "deno",
      "run",
      "--no-prompt",
      "--v8-flags=--max-old-space-size=160",
      "--allow-read=.,/home/u,/tmp,/etc/ssl/kafka/ca.pem,/home/u/.config/airq/c.properties",
      "--allow-net=127.0.0.1,localhost,b-1.example.com:9096,b-2.example.com:9096," +
      "*.example.com:9096,auth.example.com:443",
      "consumer.ts",
      "--db",
      "x.db",
    ]);
    // a task without --allow-net gets just the grants; an unrestricted flag stays unrestricted
    assert.deepEqual(
      widenArgv(["deno", "run", "--allow-read", "s.ts"], kafkaGrants(external)),
      [
        "deno",
        "run",
        "--allow-read",
        "--allow-net=b-1.example.com:9096,b-2.example.com:9096,*.example.com:9096," +
        "auth.example.com:443",
        "s.ts",
      ],
    );
    assert.throws(() => widenArgv(["bash", "-c", "x"], kafkaGrants(base)), /deno run/);
  },
);

Deno.test("every Kafka task goes through the launcher, and tasks.ts spawns its widened script", async () => {
  const deno = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  for (
    const name of ["produce", "consume", "forecast", "dashboard", "vote", "leaderboard", "demo"]
  ) {
    const argv = deno.tasks[name].command.split(/\s+/);
    assert.ok(afterLauncher(argv), `${name} starts with ${LAUNCHER}`);
    const launcher = argv.slice(0, argv.indexOf(LAUNCHER));
    assert.deepEqual(
      launcher.filter((a: string) => a.startsWith("--allow")),
      ["--allow-read=config,$HOME/.config/airq", "--allow-env=AIRQ_*", "--allow-run=deno"],
      `${name}: the launcher's own permissions`,
    );
  }
  const argv = await taskArgv("consume", {
    HOME: "/home/u",
    AIRQ_KAFKA_BROKERS: "kafka.example.internal:9092",
    AIRQ_KAFKA_PROPERTIES: "",
  });
  assert.equal(argv.includes(LAUNCHER), false, "the script's own pid, no launcher process");
  assert.ok(argv.includes("--allow-net=127.0.0.1,localhost,kafka.example.internal:9092"));
  assert.equal(argv.at(-1), "consumer.ts");
});
