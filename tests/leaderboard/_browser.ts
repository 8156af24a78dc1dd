/**
 * A chromium driver for browser_test.ts, run as its own process: playwright-core
 * needs `--allow-sys` (os.homedir at import) which the test run does not grant,
 * and its WSL probe reads /proc/sys/fs/binfmt_misc (Deno: --allow-all only),
 * skipped by setting `__IS_WSL_TEST__`. The test sends one JSON command per
 * line on stdin; each answer is one JSON line on stdout.
 *
 * ```
 * __IS_WSL_TEST__=1 deno run --no-prompt --allow-sys --allow-env --allow-read \
 *   --allow-write=/tmp,docs --allow-net=127.0.0.1 --allow-run=/usr/bin/chromium tests/leaderboard/_browser.ts
 * ```
 *
 * @module
 */
import { chromium, type Page } from "playwright-core";

const CHROMIUM = {
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

/** Page script: records every change of a row's style attribute (old and new value). */
const RECORD_STYLE_CHANGES = `
  globalThis.seen = [];
  new MutationObserver((records) => {
    for (const r of records) {
      globalThis.seen.push(r.target.dataset.skin + "|" + (r.oldValue ?? "") + "|" +
        (r.target.getAttribute("style") ?? ""));
    }
  }).observe(document.getElementById("rows"), {
    subtree: true,
    attributeFilter: ["style"],
    attributeOldValue: true,
  });
`;

type Command =
  | { cmd: "open"; url: string }
  | { cmd: "waitOrder"; order: string[]; timeoutMs?: number }
  | { cmd: "record" }
  | { cmd: "formVotes"; skin: string; kind: "up" | "down" | "favorite"; count: number }
  | { cmd: "waitFirst"; skin: string }
  | { cmd: "inspect"; skin: string }
  | { cmd: "screenshot"; path: string }
  | { cmd: "close" };

const browser = await chromium.launch(CHROMIUM);
const page: Page = await browser.newPage({ viewport: { width: 860, height: 760 } });
const problems: string[] = [];
page.on("console", (m) => {
  if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
});
page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
const order = () => page.$$eval("#rows tr", (rows) => rows.map((r) => r.getAttribute("data-skin")));

async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case "open":
      await page.goto(command.url);
      await page.waitForSelector("#status[data-state=live]");
      return {
        emptyVisible: await page.isVisible("#empty"),
        emptyText: await page.textContent("#empty"),
      };
    case "waitOrder": {
      const want = command.order.join();
      const deadline = Date.now() + (command.timeoutMs ?? 20_000);
      let seen = await order();
      while (seen.join() !== want && Date.now() < deadline) {
        await page.waitForTimeout(50);
        seen = await order();
      }
      await page.waitForTimeout(700); // let fade-ins and glides finish
      return { order: seen, emptyVisible: await page.isVisible("#empty") };
    }
    case "record":
      await page.evaluate(RECORD_STYLE_CHANGES);
      return {};
    case "formVotes":
      await page.fill("#skin", command.skin);
      for (let i = 0; i < command.count; i++) {
        await page.click(`button[value=${command.kind}]`);
        await page.waitForSelector("#vote-result:has-text('sent.')");
        await page.$eval("#vote-result", (el) => (el.textContent = ""));
      }
      return {};
    case "waitFirst":
      await page.waitForSelector(`#rows tr:first-child[data-skin=${command.skin}]`);
      return { order: await order() };
    case "inspect":
      return {
        order: await order(),
        seen: await page.evaluate<string[]>("globalThis.seen ?? []"),
        rising: await page.isVisible(`#rows tr[data-skin=${command.skin}].rising`),
        score: await page.textContent(`#rows tr[data-skin=${command.skin}] td.score`),
      };
    case "screenshot":
      await page.screenshot({ path: command.path, fullPage: true });
      return {};
    case "close":
      await browser.close();
      return { problems };
  }
}

const encoder = new TextEncoder();
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let buffer = "";
reading: for await (const chunk of lines) {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf("\n")) >= 0) {
    const command = JSON.parse(buffer.slice(0, nl)) as Command;
    buffer = buffer.slice(nl + 1);
    let answer: unknown;
    try {
      answer = { ok: true, ...(await run(command)) as object };
    } catch (error) {
      answer = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    Deno.stdout.writeSync(encoder.encode(JSON.stringify(answer) + "\n"));
    if (command.cmd === "close") break reading;
  }
}
if (browser.isConnected()) await browser.close();
