/**
 * The driver side of a real-browser test, run in its own process (see
 * _browser.ts for why): launches Debian's chromium through playwright-core
 * (headless, `--no-sandbox --disable-gpu --disable-background-networking`),
 * opens one page, records its console errors and warnings, and answers one
 * JSON command per stdin line with one JSON line on stdout. A test's driver
 * script passes its own commands; `close` is built in and returns the
 * recorded problems.
 *
 * @module
 */
import { chromium, type Page } from "playwright-core";

/** How chromium is launched. */
export const CHROMIUM = {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
};

/** A command from the test: `cmd` plus its arguments. */
export type DriverCommand = { cmd: string } & Record<string, unknown>;

/** Runs the command loop until `close`; `run` answers every other command. */
export async function serveDriver(
  run: (page: Page, command: DriverCommand) => Promise<unknown>,
  viewport: { width: number; height: number } = { width: 860, height: 760 },
): Promise<void> {
  const browser = await chromium.launch(CHROMIUM);
  const page: Page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));

  const encoder = new TextEncoder();
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffer = "";
  reading: for await (const chunk of lines) {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const command = JSON.parse(buffer.slice(0, nl)) as DriverCommand;
      buffer = buffer.slice(nl + 1);
      let answer: unknown;
      try {
        if (command.cmd === "close") {
          await browser.close();
          answer = { ok: true, problems };
        } else answer = { ok: true, ...(await run(page, command)) as object };
      } catch (error) {
        answer = { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
      Deno.stdout.writeSync(encoder.encode(JSON.stringify(answer) + "\n"));
      if (command.cmd === "close") break reading;
    }
  }
  if (browser.isConnected()) await browser.close();
}
