/**
 * Running Maven for the Kafka jars with signs of life: the first fetch is about
 * 93 jars (54 MB) and a minute or more, which used to be one log line and then
 * silence. Two runs of the `maven-dependency-plugin` pinned in config/kafka/pom.xml:
 * `dependency:tree` lists the runtime dependencies (only POMs are downloaded), so
 * the total N is known; `dependency:copy-dependencies` then downloads the jars,
 * and each "Downloaded from …jar (size)" line Maven prints in batch mode is one
 * step of "k of N jars, MB" (jars.ts logs it every few seconds).
 *
 * The parsing is pure (tested on recorded Maven output); {@linkcode runMaven}
 * streams a child's output into it.
 *
 * @module
 */

/** What {@linkcode runMaven} returns: the exit status and what Maven printed. */
export interface MavenRun {
  success: boolean;
  code: number;
  /** stdout and stderr, joined (the last 2,000 lines). */
  text: string;
}

const UNITS: Readonly<Record<string, number>> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };

/**
 * The file and size of a Maven transfer line, e.g.
 * `[INFO] Downloaded from central: https://…/kafka_2.13-4.1.2.jar (2.1 MB at 424 kB/s)`;
 * null for any other line.
 */
export function parseDownloaded(line: string): { file: string; bytes: number } | null {
  const m = line.match(/Downloaded from [^:]+: (\S+) \(([\d.]+) (B|kB|KB|MB|GB)\b/);
  if (!m) return null;
  const unit = UNITS[m[3]!] ?? 1;
  return { file: m[1]!, bytes: Math.round(Number(m[2]) * unit) };
}

/**
 * How many artifacts of scope compile or runtime the `dependency:tree` output file
 * lists (the first line is the project itself): the number of jars
 * `copy-dependencies -DincludeScope=runtime` copies.
 */
export function countRuntimeDependencies(treeText: string): number {
  let n = 0;
  for (const line of treeText.split(/\r?\n/).slice(1)) {
    const coordinates = line.replace(/^[\s|+\\-]+/, "").replace(/\s*\(.*\)\s*$/, "");
    const scope = coordinates.split(":").at(-1);
    if (scope === "compile" || scope === "runtime") n++;
  }
  return n;
}

/**
 * Runs `mvn` with `args`, calling `onLine` for each line it prints (stdout and
 * stderr), and returns its status and the tail of its output.
 *
 * @throws {Deno.errors.NotFound} when `mvn` is not on PATH.
 */
export async function runMaven(
  args: string[],
  onLine: (line: string) => void,
): Promise<MavenRun> {
  const child = new Deno.Command("mvn", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tail: string[] = [];
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const bytes of stream) {
      const lines = (rest + decoder.decode(bytes, { stream: true })).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) take(line);
    }
    if (rest) take(rest);
  };
  const take = (line: string) => {
    tail.push(line);
    if (tail.length > 2000) tail.shift();
    onLine(line);
  };
  const [status] = await Promise.all([child.status, read(child.stdout), read(child.stderr)]);
  return { success: status.success, code: status.code, text: tail.join("\n") };
}
