/**
 * An external-style cluster over TLS and SASL, through the real tasks with their
 * real permissions: a private broker with a SASL_SSL listener only (PLAIN,
 * SCRAM-SHA-256/512 and OAUTHBEARER enabled, client certificates required),
 * with its own CA and certificates made by openssl, in /var/tmp: outside every
 * task's own --allow-read, so each task reaches them only through the
 * launcher's widening. The client settings come from a Java .properties file
 * (AIRQ_KAFKA_PROPERTIES) in $HOME/.config/airq, as a managed cluster's would.
 *
 * produce (`deno task produce`, the launcher itself, SCRAM-SHA-512) → consume
 * (the widened argv of lib/harness/tasks.ts, PLAIN) → forecast (OAUTHBEARER,
 * token from a file): every reading stored once, one committed forecast set each.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort, resolveDirs, startPrivateBroker } from "../../lib/harness/broker/mod.ts";
import { afterLauncher } from "../../lib/cli/launch.ts";
import { createKafka, readAll, withAdmin } from "../../lib/kafka/mod.ts";
import { loadKafkaConfig, loadTopicsConfig } from "../../lib/config/mod.ts";
import { runTask } from "../../lib/harness/tasks.ts";

const ROOT = new URL("../../", import.meta.url);
const FIXTURE = "tests/fixtures/uci_head.csv";
const READINGS = 48;

async function sh(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all PEM. */
async function makeCertificates(dir: string): Promise<void> {
  const days = ["-days", "2"];
  await sh("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-subj",
    "/CN=airq test CA",
    ...days,
  ], dir);
  for (
    const [name, ext] of [
      ["server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"],
      ["client", "extendedKeyUsage=clientAuth"],
    ] as const
  ) {
    await Deno.writeTextFile(join(dir, `${name}.ext`), ext + "\n");
    await sh("openssl", [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${name === "server" ? "localhost" : "alice"}`,
    ], dir);
    await sh("openssl", [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-extfile",
      `${name}.ext`,
      ...days,
    ], dir);
  }
  // Kafka's PEM keystore: the private key, then the certificate
  await Deno.writeTextFile(
    join(dir, "server-keystore.pem"),
    (await Deno.readTextFile(join(dir, "server.key"))) +
      (await Deno.readTextFile(join(dir, "server.pem"))),
  );
}

/** An unsigned JWT (alg none), what Kafka's default (unsecured) OAUTHBEARER validator accepts. */
function unsecuredJwt(subject: string): string {
  const b64 = (o: unknown) =>
    btoa(JSON.stringify(o)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: "none" })}.${b64({ sub: subject, iat: now, exp: now + 3600 })}.`;
}

/** The broker's listeners: SASL_SSL for clients, PLAINTEXT on loopback between its own roles. */
function secureServer(certs: string, internalPort: number) {
  const jaas = (module: string, options = "") =>
    `org.apache.kafka.common.security.${module} required${options};`;
  return ({ brokerPort, controllerPort }: { brokerPort: number; controllerPort: number }) => ({
    "listeners": `SASL_SSL://127.0.0.1:${brokerPort},INTERNAL://127.0.0.1:${internalPort},` +
      `CONTROLLER://127.0.0.1:${controllerPort}`,
    "advertised.listeners":
      `SASL_SSL://127.0.0.1:${brokerPort},INTERNAL://127.0.0.1:${internalPort}`,
    "inter.broker.listener.name": "INTERNAL",
    "listener.security.protocol.map": "SASL_SSL:SASL_SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER",
    "listener.name.sasl_ssl.plain.sasl.jaas.config": jaas(
      "plain.PlainLoginModule",
      ' user_alice="alice-secret"',
    ),
    "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": jaas("scram.ScramLoginModule"),
    "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": jaas("scram.ScramLoginModule"),
    "listener.name.sasl_ssl.oauthbearer.sasl.jaas.config": jaas(
      "oauthbearer.OAuthBearerLoginModule",
    ),
    "ssl.keystore.type": "PEM",
    "ssl.keystore.location": join(certs, "server-keystore.pem"),
    "ssl.truststore.type": "PEM",
    "ssl.truststore.location": join(certs, "ca.pem"),
    "ssl.client.auth": "required",
  });
}

Deno.test({
  name:
    "SASL_SSL + mTLS: produce (launcher, SCRAM-512) -> consume (PLAIN) -> forecast (OAUTHBEARER)",
  async fn() {
    // outside the tasks' own --allow-read (., $HOME, /tmp): only the widening lets them read it
    const root = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "airq-secure-" });
    const certs = join(root, "certs");
    const home = join(root, "home");
    await Deno.mkdir(certs);
    await Deno.mkdir(join(home, ".config", "airq"), { recursive: true });
    await makeCertificates(certs);
    const scram = ["SCRAM-SHA-256", "SCRAM-SHA-512"].flatMap((m) => [
      "--add-scram",
      `${m}=[name=alice,password=alice-secret]`,
    ]);
    const clientTls = {
      AIRQ_KAFKA_SSL_CA: join(certs, "ca.pem"),
      AIRQ_KAFKA_SSL_CERT: join(certs, "client.pem"),
      AIRQ_KAFKA_SSL_KEY: join(certs, "client.key"),
    };
    const broker = await startPrivateBroker({
      prefix: "airq-secure-broker-",
      cacheDir: resolveDirs((name) => Deno.env.get(name)).cacheDir,
      kafkaHome: Deno.env.get("KAFKA_HOME"),
      env: {
        ...clientTls,
        AIRQ_KAFKA_SASL_MECHANISM: "scram-sha-256",
        AIRQ_KAFKA_SASL_USERNAME: "alice",
        AIRQ_KAFKA_SASL_PASSWORD: "alice-secret",
      },
      serverProperties: secureServer(certs, freePort()),
      formatArgs: scram,
    });
    try {
      // SCRAM-SHA-256 from this process (the broker's own readiness probe used it too)
      const described = await withAdmin(createKafka(broker.config), (a) => a.describeCluster());
      assert.equal(described.brokers.length, 1);

      const properties = join(home, ".config", "airq", "client.properties");
      await Deno.writeTextFile(
        properties,
        [
          "# as a managed cluster hands them out",
          `bootstrap.servers=${broker.brokers}`,
          "security.protocol=SASL_SSL",
          "sasl.mechanism=SCRAM-SHA-512",
          "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\",
          '    username="alice" password="alice-secret";',
          "ssl.truststore.type=PEM",
          `ssl.truststore.location=${join(certs, "ca.pem")}`,
          `ssl.certificate.location=${join(certs, "client.pem")}`,
          `ssl.key.location=${join(certs, "client.key")}`,
          "",
        ].join("\n"),
      );
      const tokenFile = join(certs, "token");
      await Deno.writeTextFile(tokenFile, unsecuredJwt("alice") + "\n");
      const prefix = `s${crypto.randomUUID().slice(0, 8)}.`;
      const env: Record<string, string> = {
        HOME: home,
        // the module cache stays where it is, not under the test's HOME
        DENO_DIR: Deno.env.get("DENO_DIR") || `${Deno.env.get("HOME")}/.cache/deno`,
        AIRQ_KAFKA_BROKERS: broker.brokers,
        AIRQ_KAFKA_PROPERTIES: properties,
        AIRQ_TOPIC_PREFIX: prefix,
        AIRQ_LOG_FORMAT: "json",
        NO_COLOR: "1",
      };

      // without the launcher's widening, the task may not read the client key: a clear error
      const raw = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
      const argv = afterLauncher(
        raw.tasks.consume.command.replaceAll("$HOME", home).split(/\s+/),
      )!;
      const narrow = await new Deno.Command(argv[0]!, {
        args: [...argv.slice(1), "--db", join(root, "narrow.db"), "--exit-when-idle", "1"],
        cwd: ROOT,
        env,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const narrowErr = new TextDecoder().decode(narrow.stderr);
      assert.notEqual(narrow.code, 0);
      assert.match(narrowErr, /ssl\.ca: cannot read ".*ca\.pem": this process may not read it/);

      // produce through `deno task`, i.e. the launcher process itself
      const produced = await new Deno.Command("deno", {
        args: ["task", "produce", "--input", FIXTURE, "--speed", "max", "--json"],
        cwd: ROOT,
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const producedErr = new TextDecoder().decode(produced.stderr);
      assert.equal(produced.code, 0, producedErr);
      const p = JSON.parse(new TextDecoder().decode(produced.stdout).trim().split("\n").at(-1)!);
      assert.equal(p.sent, READINGS);

      const db = join(home, "airq.db"); // the tasks may write under $HOME
      const consumed = await runTask("consume", ["--db", db, "--exit-when-idle", "2", "--json"], {
        ...env,
        AIRQ_KAFKA_SASL_MECHANISM: "plain",
      });
      assert.equal(consumed.code, 0, consumed.stderr);
      const c = JSON.parse(consumed.stdout.trim().split("\n").at(-1)!);
      assert.equal(c.stored, READINGS);
      assert.equal(c.dead_letters, 0);

      const forecast = await runTask(
        "forecast",
        ["--db", db, "--exit-when-idle", "2", "--json"],
        {
          ...env,
          AIRQ_KAFKA_SASL_MECHANISM: "oauthbearer",
          AIRQ_KAFKA_OAUTH_TOKEN_FILE: tokenFile,
        },
      );
      assert.equal(forecast.code, 0, forecast.stderr);
      const f = JSON.parse(forecast.stdout.trim().split("\n").at(-1)!);
      assert.equal(f.readings, READINGS);
      assert.equal(f.forecast_sets, READINGS);

      // what the cluster holds, read back over the same TLS + SASL (read_committed)
      const config = await loadKafkaConfig((k) => env[k]);
      const topics = (await loadTopicsConfig((k) => env[k])).topics;
      const forecasts = topics.find((t) => t.role === "forecasts")!.name;
      const sets = await readAll(createKafka(config), forecasts, READINGS);
      assert.equal(sets.length, READINGS);
    } finally {
      await broker.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
