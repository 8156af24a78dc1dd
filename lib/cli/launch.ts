/**
 * Permissions for an external Kafka cluster, widened per run instead of per
 * edit of deno.json. A Kafka task's command is
 *
 *     deno run <launcher permissions> tools/_launch.ts deno run <task permissions> SCRIPT
 *
 * The launcher loads the Kafka settings (config/kafka.json, AIRQ_KAFKA_PROPERTIES,
 * AIRQ_KAFKA_*), adds exactly the configured brokers and `allowHosts` to the
 * task's `--allow-net`, and the configured TLS, token and properties files to
 * its `--allow-read`, then runs the task's own command. `lib/harness/tasks.ts`
 * applies the same `widenArgv` in-process when it spawns a task (so the child's
 * pid is the script's own).
 *
 * @module
 */
import type { KafkaConfig } from "../config/mod.ts";

/** What a Kafka task needs beyond its own permissions for the configured cluster. */
export interface KafkaGrants {
  /** host:port of each broker, then `allowHosts` as written. */
  hosts: string[];
  /** TLS files, the OAUTHBEARER token file and the properties file. */
  files: string[];
}

/** The launcher script, as it appears in deno.json's task commands. */
export const LAUNCHER = "tools/_launch.ts";

/** The hosts and files the configured cluster needs (`propertiesPath`: AIRQ_KAFKA_PROPERTIES). */
export function kafkaGrants(config: KafkaConfig, propertiesPath?: string): KafkaGrants {
  const files: string[] = [];
  if (typeof config.ssl === "object") {
    for (const f of [config.ssl.ca, config.ssl.cert, config.ssl.key]) if (f) files.push(f);
  }
  if (config.sasl?.mechanism === "oauthbearer" && config.sasl.tokenFile) {
    files.push(config.sasl.tokenFile);
  }
  if (propertiesPath) files.push(propertiesPath);
  return { hosts: [...config.brokers, ...config.allowHosts], files };
}

/** The host of `host:port` (brackets of IPv6 kept), or the entry itself without a port. */
function hostOf(entry: string): string {
  const m = entry.match(/^(\[[^\]]+\]|[^:]+)(:\d+)?$/);
  return m ? m[1]! : entry;
}

/** Adds `more` to a comma list, skipping entries it already allows (a host covers its ports). */
function addTo(list: string[], more: string[], byHost: boolean): string[] {
  const out = [...list];
  for (const entry of more) {
    const covered = out.includes(entry) || (byHost && out.includes(hostOf(entry)));
    if (!covered) out.push(entry);
  }
  return out;
}

/**
 * The argv of `deno run ... SCRIPT args` with `grants` added: hosts to
 * `--allow-net=`, files to `--allow-read=`. An unrestricted flag (`--allow-net`
 * with no list) is left alone; a missing one is added with just the grants.
 *
 * @throws {Error} when `argv` is not `deno run [flags] SCRIPT ...`.
 */
export function widenArgv(argv: string[], grants: KafkaGrants): string[] {
  if (argv[0] !== "deno" || argv[1] !== "run") {
    throw new Error(`the launcher runs "deno run ... SCRIPT", not: ${argv.join(" ")}`);
  }
  const script = argv.findIndex((a, i) => i >= 2 && !a.startsWith("-"));
  if (script < 0) throw new Error(`no script in: ${argv.join(" ")}`);
  const flags = argv.slice(2, script);
  const widen = (name: string, more: string[], byHost: boolean) => {
    if (more.length === 0) return;
    const i = flags.findIndex((f) => f === name || f.startsWith(`${name}=`));
    if (i < 0) flags.push(`${name}=${more.join(",")}`);
    else if (flags[i] !== name) {
      const list = flags[i]!.slice(name.length + 1).split(",").filter((x) => x !== "");
      flags[i] = `${name}=${addTo(list, more, byHost).join(",")}`;
    }
  };
  widen("--allow-net", grants.hosts, true);
  widen("--allow-read", grants.files, false);
  return [...argv.slice(0, 2), ...flags, ...argv.slice(script)];
}

/**
 * Splits a task command `deno run <flags> tools/_launch.ts deno run ...` into
 * the task's own argv (after the launcher); null when the command has no launcher.
 */
export function afterLauncher(argv: string[]): string[] | null {
  const i = argv.indexOf(LAUNCHER);
  return i < 0 ? null : argv.slice(i + 1);
}
