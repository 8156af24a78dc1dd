/**
 * Is a loopback port free, which process holds it, is a process alive.
 *
 * @module
 */

/** True when nothing listens on `hostname:port`. */
export function isPortFree(port: number, hostname = "127.0.0.1"): boolean {
  try {
    const listener = Deno.listen({ hostname, port });
    listener.close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) return false;
    throw error;
  }
}

/** The process listening on a TCP port, if `ss` tells us. */
export interface PortOwner {
  pid: number;
  command: string;
}

const decoder = new TextDecoder();

/** How often {@linkcode runTool} asks again when a signal killed the tool. */
const SIGNAL_RETRIES = 5;

/**
 * Runs a system tool (`ps`, `ss`, `kill`) and returns its exit status and
 * stdout; null when it is not installed. A tool killed by a signal has said
 * nothing about what it was asked, so it runs again (up to
 * {@linkcode SIGNAL_RETRIES} times): the tools run in airq's process group, and
 * a SIGTERM or Ctrl-C sent to the whole group (a service manager, a closed
 * terminal) reaches them too. Read as "no such process", such a `ps` made
 * the demo forget the broker it had started and leave its JVM running.
 */
export async function runTool(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; out: string } | null> {
  for (let attempt = 1;; attempt++) {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null; // tool not installed
      throw error;
    }
    if (out.signal === null || attempt >= SIGNAL_RETRIES) {
      return { ok: out.success && out.signal === null, out: decoder.decode(out.stdout) };
    }
  }
}

/**
 * Finds the process that listens on a TCP port with `ss -ltnp` (iproute2).
 * Best effort: null when `ss` is missing or does not name the process.
 * (Deno needs --allow-all to read /proc/<pid>, so airq asks `ss` and `ps` instead.)
 */
export async function findPortOwner(port: number): Promise<PortOwner | null> {
  const result = await runTool("ss", ["-ltnpH", `sport = :${port}`]);
  const match = result?.out.match(/users:\(\("([^"]*)",pid=(\d+)/);
  if (!match?.[2]) return null;
  const pid = Number(match[2]);
  const info = await processInfo(pid);
  return { pid, command: info?.command ?? match[1] ?? "" };
}

/** A process's state letter (`ps` STAT) and command line. */
export interface ProcessInfo {
  state: string;
  command: string;
}

/**
 * Asks `ps` about a process; null when it does not exist. Falls back to
 * `kill -0` (state "?" and an empty command) when `ps` is not installed.
 */
export async function processInfo(pid: number): Promise<ProcessInfo | null> {
  const ps = await runTool("ps", ["-o", "stat=,args=", "-p", String(pid)]);
  if (ps !== null) {
    if (!ps.ok) return null;
    const line = ps.out.trim();
    const space = line.indexOf(" ");
    return space < 0
      ? null
      : { state: line.slice(0, space), command: line.slice(space + 1).trim() };
  }
  const kill = await runTool("kill", ["-0", String(pid)]);
  return kill?.ok ? { state: "?", command: "" } : null;
}

/** A process's command line, "" when unknown. */
export async function commandLine(pid: number): Promise<string> {
  return (await processInfo(pid))?.command ?? "";
}

/** True when `pid` runs and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  const info = await processInfo(pid);
  return info !== null && !info.state.startsWith("Z") && !info.state.startsWith("X");
}
