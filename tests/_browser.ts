/**
 * The test side of a real-browser test: {@linkcode Browser} starts a chromium
 * driver script (see _chromium.ts) as its own process, with the wider
 * permissions playwright-core needs (`--allow-sys`, and `__IS_WSL_TEST__` set to
 * skip its /proc probe), sends it one JSON command per line on stdin and reads
 * one JSON answer per line on stdout. {@linkcode collect} drains a child's
 * output while it runs.
 *
 * @module
 */

/** Collects a child's output as text while it runs, so its pipes never fill up. */
export function collect(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
): { text: () => string; done: Promise<void> } {
  let text = "";
  const done = stream.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (text += chunk) }),
  );
  return { text: () => text, done };
}

/** A chromium driver process (a script that calls `serveDriver` from _chromium.ts). */
export class Browser {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: ReadableStreamDefaultReader<string>;
  readonly #stderr: { text: () => string; done: Promise<void> };
  #buffer = "";
  #closed = false;

  /** Starts `driver` (a file URL) with the permissions playwright-core needs. */
  constructor(driver: URL) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--cached-only",
        "--allow-sys",
        "--allow-env",
        "--allow-read",
        "--allow-write=/tmp,docs",
        "--allow-net=127.0.0.1",
        "--allow-run=/usr/bin/chromium",
        driver.pathname,
      ],
      env: { __IS_WSL_TEST__: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    this.#stderr = collect(this.#child.stderr);
  }

  /** Sends one command and returns its answer; throws what the driver reported. */
  async do<T = Record<string, unknown>>(command: Record<string, unknown>): Promise<T> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(command) + "\n"));
    while (!this.#buffer.includes("\n")) {
      const { value, done } = await this.#lines.read();
      if (done) throw new Error(`the browser driver exited:\n${this.#stderr.text()}`);
      this.#buffer += value;
    }
    const nl = this.#buffer.indexOf("\n");
    const answer = JSON.parse(this.#buffer.slice(0, nl));
    this.#buffer = this.#buffer.slice(nl + 1);
    if (!answer.ok) throw new Error(`browser: ${command.cmd}: ${answer.error}`);
    return answer as T;
  }

  /** Closes chromium and waits for the driver to exit; returns the page's console problems. */
  async close(): Promise<string[]> {
    if (this.#closed) return [];
    this.#closed = true;
    let problems: string[] = [];
    try {
      problems = (await this.do<{ problems: string[] }>({ cmd: "close" })).problems;
    } finally {
      await this.#writer.close().catch(() => {});
      while (!(await this.#lines.read()).done) { /* drain */ }
      await this.#stderr.done;
      await this.#child.status;
    }
    return problems;
  }
}
