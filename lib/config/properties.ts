/**
 * Client properties in the Java `.properties` format (what the Kafka tools take
 * with `--command-config`, and what managed clusters hand out), mapped onto
 * `config/kafka.json`'s settings. Only keys airq can honour are accepted; any
 * other key is an error that names it, so a setting is never silently dropped.
 *
 * Pure: the caller reads the file (`loadKafkaConfig` with `AIRQ_KAFKA_PROPERTIES`).
 *
 * @module
 */
import { dirname, isAbsolute, join } from "node:path";
import type { KafkaConfig, SaslConfig, TlsFiles } from "./schemas.ts";

/** One `key=value` of a properties file, with the line it started on. */
export interface Property {
  key: string;
  value: string;
  line: number;
}

/** Parses the Java properties format: `=`, `:` or blanks as separator, `#`/`!` comments, `\` continuations and escapes. */
export function parseProperties(text: string): Property[] {
  const lines = text.split(/\r\n|\r|\n/);
  const out: Property[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let logical = lines[i]!.replace(/^[ \t\f]+/, "");
    if (logical === "" || logical.startsWith("#") || logical.startsWith("!")) continue;
    while (endsWithContinuation(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, "");
    }
    if (endsWithContinuation(logical)) logical = logical.slice(0, -1);
    let k = 0;
    let key = "";
    while (k < logical.length && !/[=: \t\f]/.test(logical[k]!)) {
      if (logical[k] === "\\" && k + 1 < logical.length) {
        key += unescape(logical, k);
        k += escapeLength(logical, k);
      } else key += logical[k++];
    }
    while (k < logical.length && /[ \t\f]/.test(logical[k]!)) k++;
    if (k < logical.length && /[=:]/.test(logical[k]!)) k++;
    while (k < logical.length && /[ \t\f]/.test(logical[k]!)) k++;
    let value = "";
    while (k < logical.length) {
      if (logical[k] === "\\" && k + 1 < logical.length) {
        value += unescape(logical, k);
        k += escapeLength(logical, k);
      } else value += logical[k++];
    }
    out.push({ key, value, line: start });
  }
  return out;
}

function endsWithContinuation(line: string): boolean {
  const slashes = line.match(/\\*$/)![0].length;
  return slashes % 2 === 1;
}

function escapeLength(s: string, k: number): number {
  return s[k + 1] === "u" && /^[0-9A-Fa-f]{4}$/.test(s.slice(k + 2, k + 6)) ? 6 : 2;
}

function unescape(s: string, k: number): string {
  const c = s[k + 1]!;
  if (c === "u" && escapeLength(s, k) === 6) {
    return String.fromCharCode(parseInt(s.slice(k + 2, k + 6), 16));
  }
  return ({ t: "\t", n: "\n", r: "\r", f: "\f" } as Record<string, string>)[c] ?? c;
}

/** The keys airq understands, with what each sets; every other key is refused. */
export const KNOWN_PROPERTIES: Record<string, string> = {
  "bootstrap.servers": "brokers",
  "client.id": "clientId",
  "request.timeout.ms": "requestTimeoutMs",
  "security.protocol": "PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL",
  "sasl.mechanism": "PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512 | OAUTHBEARER",
  "sasl.jaas.config": 'username="..." password="..." of the PLAIN or SCRAM login module',
  "sasl.username": "sasl.username (librdkafka's name)",
  "sasl.password": "sasl.password (librdkafka's name)",
  "ssl.truststore.location": "ssl.ca (with ssl.truststore.type=PEM)",
  "ssl.truststore.type": "PEM only",
  "ssl.ca.location": "ssl.ca (librdkafka's name)",
  "ssl.certificate.location": "ssl.cert (librdkafka's name)",
  "ssl.key.location": "ssl.key (librdkafka's name)",
  "ssl.endpoint.identification.algorithm": "https (the broker's name is always verified)",
};

/** Advice for keys people will try that airq refuses on purpose. */
const REFUSED: Record<string, string> = {
  "ssl.keystore.location":
    "give the client certificate and key as PEM files with ssl.certificate.location and ssl.key.location " +
    "(from a PKCS12 keystore: openssl pkcs12 -in ks.p12 -nokeys -out cert.pem; -nocerts -nodes -out key.pem)",
  "ssl.keystore.type": "use ssl.certificate.location and ssl.key.location (PEM files)",
  "ssl.keystore.password": "use ssl.certificate.location and ssl.key.location (PEM files)",
  "ssl.key.password":
    "airq reads unencrypted PEM keys only: openssl pkey -in key.pem -out plain.pem",
  "ssl.truststore.password": "a PEM truststore needs no password: drop this key",
  "sasl.oauthbearer.token.endpoint.url":
    "airq does not fetch OAuth tokens itself: put the token in AIRQ_KAFKA_OAUTH_TOKEN or a file named by AIRQ_KAFKA_OAUTH_TOKEN_FILE (docs/security.md)",
  "sasl.login.callback.handler.class":
    "airq does not run Java callback handlers: see docs/security.md for OAUTHBEARER tokens",
};

/**
 * Applies parsed properties to a config. `shown` names the file in errors;
 * relative file paths are resolved against the file's folder.
 *
 * @throws {Error} naming the file, line and key for an unknown or unusable key.
 */
export function applyKafkaProperties(
  config: KafkaConfig,
  properties: Property[],
  shown: string,
): KafkaConfig {
  const next: KafkaConfig = structuredClone(config);
  const r = propertyReader(knownValues(properties, shown), shown);
  const { values, get, fail } = r;
  applyConnection(next, r);
  checkTlsSettings(r);
  const files = tlsFilesOf(next, r);
  const hasFiles = Object.keys(files).length > 0;

  const protocol = get("security.protocol")?.toUpperCase();
  const PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];
  if (protocol !== undefined && !PROTOCOLS.includes(protocol)) {
    fail("security.protocol", `must be one of ${PROTOCOLS.join(", ")}`);
  }
  const tls = protocol === undefined ? next.ssl !== false || hasFiles : protocol.endsWith("SSL");
  next.ssl = tls ? (hasFiles ? files : true) : false;
  if (!tls && hasFiles) {
    fail("security.protocol", "names no TLS, yet the file sets TLS files (ssl.*.location)");
  }

  const sasl = protocol === undefined ? values.has("sasl.mechanism") : protocol.startsWith("SASL");
  if (!sasl) {
    if (protocol !== undefined) next.sasl = null;
    return next;
  }
  const mechanism = get("sasl.mechanism")?.toUpperCase();
  if (mechanism === undefined) {
    throw new Error(
      `${shown}: security.protocol=${protocol} needs sasl.mechanism (Java's default, GSSAPI/Kerberos, ` +
        "is not supported): PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
    );
  }
  next.sasl = saslOf(mechanism, values, fail, shown, next.sasl);
  return next;
}

/** The properties by key; fails on a refused or unknown key, with its line. */
function knownValues(properties: Property[], shown: string): Map<string, Property> {
  const values = new Map<string, Property>();
  for (const p of properties) {
    const where = `${shown}:${p.line}: ${p.key}`;
    if (p.key in REFUSED) throw new Error(`${where} is not supported: ${REFUSED[p.key]}`);
    if (!(p.key in KNOWN_PROPERTIES)) {
      throw new Error(
        `${where} is not a property airq understands. Known keys: ${
          Object.keys(KNOWN_PROPERTIES).join(", ")
        } (docs/security.md)`,
      );
    }
    values.set(p.key, p);
  }
  return values;
}

/** Reads the properties' values: trimmed, as paths (relative to the file), or fails with the line. */
interface PropertyReader {
  values: Map<string, Property>;
  get: (key: string) => string | undefined;
  path: (key: string) => string | undefined;
  fail: (key: string, message: string) => never;
}

/** A {@linkcode PropertyReader} over `values` of the file `shown`. */
function propertyReader(values: Map<string, Property>, shown: string): PropertyReader {
  const fail = (key: string, message: string): never => {
    const p = values.get(key)!;
    throw new Error(`${shown}:${p.line}: ${key}=${p.value}: ${message}`);
  };
  const get = (key: string): string | undefined => values.get(key)?.value.trim();
  const path = (key: string): string | undefined => {
    const v = get(key);
    if (v === undefined) return undefined;
    if (v === "") fail(key, "is empty");
    return isAbsolute(v) ? v : join(dirname(shown), v);
  };
  return { values, get, path, fail };
}

/** `bootstrap.servers`, `client.id` and `request.timeout.ms`. */
function applyConnection(next: KafkaConfig, r: PropertyReader): void {
  const { get, fail } = r;
  const servers = get("bootstrap.servers");
  if (servers !== undefined) {
    next.brokers = servers.split(",").map((b) => b.trim().replace(/^[A-Za-z_]+:\/\//, ""))
      .filter((b) => b !== "");
  }
  const clientId = get("client.id");
  if (clientId !== undefined) next.clientId = clientId;
  const timeout = get("request.timeout.ms");
  if (timeout !== undefined) {
    if (!/^\d+$/.test(timeout)) fail("request.timeout.ms", "must be a whole number");
    next.requestTimeoutMs = Number(timeout);
  }
}

/** Refuses what would turn host name checks off, or a truststore airq cannot read. */
function checkTlsSettings(r: PropertyReader): void {
  const { values, get, fail } = r;
  const algorithm = get("ssl.endpoint.identification.algorithm");
  if (algorithm !== undefined && algorithm.toLowerCase() !== "https") {
    fail(
      "ssl.endpoint.identification.algorithm",
      "airq always verifies the broker's host name; fix the certificate (or set ssl " +
        "servername in config/kafka.json) instead of turning the check off",
    );
  }
  const storeType = get("ssl.truststore.type");
  if (storeType !== undefined && storeType.toUpperCase() !== "PEM") {
    fail(
      "ssl.truststore.type",
      "only PEM truststores are read; export the CA: keytool -exportcert -rfc -alias <ca> " +
        "-keystore truststore.jks -file ca.pem",
    );
  }
  if (
    values.has("ssl.truststore.location") && storeType === undefined &&
    !/\.(pem|crt|cer)$/i.test(get("ssl.truststore.location")!)
  ) {
    fail(
      "ssl.truststore.location",
      "Java's default truststore type is JKS, which airq cannot read: export the CA as PEM " +
        "(keytool -exportcert -rfc ...) and set ssl.truststore.type=PEM",
    );
  }
}

/** The TLS files of the config, with those the properties name. */
function tlsFilesOf(next: KafkaConfig, r: PropertyReader): TlsFiles {
  const { path } = r;
  const files: TlsFiles = typeof next.ssl === "object" ? { ...next.ssl } : {};
  const ca = path("ssl.truststore.location") ?? path("ssl.ca.location");
  const cert = path("ssl.certificate.location");
  const key = path("ssl.key.location");
  if (ca !== undefined) files.ca = ca;
  if (cert !== undefined) files.cert = cert;
  if (key !== undefined) files.key = key;
  return files;
}

function saslOf(
  mechanism: string,
  values: Map<string, Property>,
  fail: (key: string, message: string) => never,
  shown: string,
  previous: SaslConfig | null,
): SaslConfig {
  const jaas = values.get("sasl.jaas.config")?.value.trim();
  const module = jaas?.match(/^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\b/)?.[1];
  if (jaas !== undefined && module === undefined) {
    fail("sasl.jaas.config", 'is not `<LoginModule class> required key="value" ...;`');
  }
  if (mechanism === "OAUTHBEARER") {
    if (module !== undefined && !module.endsWith("OAuthBearerLoginModule")) {
      fail("sasl.jaas.config", "OAUTHBEARER needs the OAuthBearerLoginModule");
    }
    return previous?.mechanism === "oauthbearer" ? previous : { mechanism: "oauthbearer" };
  }
  const lower = mechanism.toLowerCase();
  if (lower !== "plain" && lower !== "scram-sha-256" && lower !== "scram-sha-512") {
    return fail(
      "sasl.mechanism",
      "is not supported by the client (kafkajs): use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
    );
  }
  const wanted = lower === "plain" ? "PlainLoginModule" : "ScramLoginModule";
  if (module !== undefined && !module.endsWith(wanted)) {
    fail("sasl.jaas.config", `${mechanism} needs the ${wanted}, not ${module}`);
  }
  const option = (name: string): string | undefined =>
    jaas?.match(new RegExp(`\\b${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`))?.[1]?.replace(
      /\\(.)/g,
      "$1",
    );
  const username = values.get("sasl.username")?.value ?? option("username") ??
    (previous && "username" in previous ? previous.username : undefined);
  const password = values.get("sasl.password")?.value ?? option("password") ??
    (previous && "password" in previous ? previous.password : undefined);
  if (username === undefined || username === "") {
    throw new Error(
      `${shown}: sasl.mechanism=${mechanism} needs a user name: sasl.jaas.config with ` +
        'username="..." password="...", or sasl.username and sasl.password',
    );
  }
  return { mechanism: lower, username, password: password ?? "" };
}
