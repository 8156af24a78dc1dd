/**
 * A `deno task` command run in a process group of its own, for the tests
 * that stop commands the way a terminal, a service manager or `kill -9`
 * does, and then look for what is left: the group's processes and the Kafka
 * JVMs of a folder (a broker runs in a session of its own, outside the
 * group).
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);

/** Processes of group `pgid` that are not zombies (ps), one `pid stat args` line each. */
export async function liveInGroup(pgid: number): Promise<string[]> {
  const out = await new Deno.Command("ps", {
    args: ["-o", "pid=,stat=,args=", "-g", String(pgid)],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !/^\d+\s+Z/.test(l));
}

/** Kafka JVMs (not zombies) whose command line names a path inside `dir` (ps). */
export async function kafkaJvms(dir: string): Promise<string[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,stat=,args="], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).split("\n")
    .filter((l) => l.includes("kafka.Kafka") && l.includes(`${dir}/`) && !/^\s*\d+\s+Z/.test(l));
}

/** Polls `probe` every 100 ms until `done` holds for its value or `ms` passed; the last value. */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  ms: number,
): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const value = await probe();
    if (done(value) || performance.now() - t0 > ms) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A running `deno task` in its own process group. */
export class GroupCommand {
  readonly pgid: number;
  readonly exited: Promise<Deno.CommandStatus>;
  #stdout = "";
  #stderr = "";
  readonly #drained: Promise<unknown>;
  readonly #waiters: { pattern: RegExp; resolve: () => void }[] = [];

  /** `deno task ...args` led by `setsid`: its pid is the group id. */
  constructor(args: string[], env: Record<string, string>) {
    const child = new Deno.Command("setsid", {
      args: [Deno.execPath(), "task", ...args],
      cwd: ROOT,
      env: { NO_COLOR: "1", ...env },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pgid = child.pid;
    this.exited = child.status;
    const dec = new TextDecoder();
    const read = async (stream: ReadableStream<Uint8Array>, err: boolean) => {
      for await (const chunk of stream) {
        if (err) this.#stderr += dec.decode(chunk, { stream: true });
        else this.#stdout += dec.decode(chunk, { stream: true });
        this.#wake();
      }
    };
    this.#drained = Promise.all([read(child.stdout, false), read(child.stderr, true)]);
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** True once stdout or stderr matched `pattern`; false if the command exited or `ms` passed first. */
  async printed(pattern: RegExp, ms = 150_000): Promise<boolean> {
    const seen = new Promise<void>((resolve) => this.#waiters.push({ pattern, resolve }));
    this.#wake();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = await Promise.race([
      seen.then(() => true),
      this.exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return result;
  }

  /** Sends `signal` to the whole group (a terminal's Ctrl-C) or to one `pid` of it. */
  async kill(signal: "INT" | "TERM" | "KILL", pid?: number): Promise<boolean> {
    const target = pid === undefined ? `-${this.pgid}` : String(pid);
    const out = await new Deno.Command("kill", {
      args: [`-${signal}`, "--", target],
      stderr: "null",
    })
      .output();
    return out.success;
  }

  /** Whatever happened: the group and the Kafka JVMs of `dir` killed, the output drained. */
  async cleanUp(dir: string): Promise<void> {
    await this.kill("KILL");
    for (const line of await kafkaJvms(dir)) {
      await new Deno.Command("kill", { args: ["-KILL", line.trim().split(/\s+/)[0]!] }).output();
    }
    await this.exited;
    await this.#drained.catch(() => {});
  }

  /** Waits until the output is read to its end. */
  async drained(): Promise<void> {
    await this.#drained;
  }

  #wake(): void {
    const text = this.#stdout + this.#stderr;
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      if (this.#waiters[i]!.pattern.test(text)) this.#waiters.splice(i, 1)[0]!.resolve();
    }
  }
}
