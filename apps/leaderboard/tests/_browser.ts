/**
 * The leaderboard's chromium driver for browser_test.ts (the launch and the command
 * loop are shared: ../_chromium.ts), run as its own process: playwright-core
 * needs `--allow-sys` (os.homedir at import) which the test run does not grant,
 * and its WSL probe reads /proc/sys/fs/binfmt_misc (Deno: --allow-all only),
 * skipped by setting `__IS_WSL_TEST__`. The test sends one JSON command per
 * line on stdin; each answer is one JSON line on stdout.
 *
 * ```
 * __IS_WSL_TEST__=1 deno run --no-prompt --allow-sys --allow-env --allow-read \
 *   --allow-write=/tmp,docs --allow-net=127.0.0.1 --allow-run=/usr/bin/chromium apps/leaderboard/tests/_browser.ts
 * ```
 *
 * @module
 */
import type { Page } from "playwright-core";
import { serveDriver } from "../../../tests/_chromium.ts";

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
  | { cmd: "screenshot"; path: string };

const order = (page: Page) =>
  page.$$eval("#rows tr", (rows) => rows.map((r) => r.getAttribute("data-skin")));

async function run(page: Page, command: Command): Promise<unknown> {
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
      let seen = await order(page);
      while (seen.join() !== want && Date.now() < deadline) {
        await page.waitForTimeout(50);
        seen = await order(page);
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
      return { order: await order(page) };
    case "inspect":
      return {
        order: await order(page),
        seen: await page.evaluate<string[]>("globalThis.seen ?? []"),
        rising: await page.isVisible(`#rows tr[data-skin=${command.skin}].rising`),
        score: await page.textContent(`#rows tr[data-skin=${command.skin}] td.score`),
      };
    case "screenshot":
      await page.screenshot({ path: command.path, fullPage: true });
      return {};
  }
}

await serveDriver((page, command) => run(page, command as unknown as Command));
