/**
 * The dashboard's chromium driver for browser_test.ts, run as its own process
 * with the permissions playwright-core needs (see ../_browser.ts and
 * ../_chromium.ts, shared with the leaderboard's browser test).
 *
 * @module
 */
import type { Page } from "playwright-core";
import { type DriverCommand, serveDriver } from "../_chromium.ts";

/** Page script: records every change of a ranking row's style attribute. */
const RECORD_STYLE_CHANGES = `
  globalThis.seen = [];
  new MutationObserver((records) => {
    for (const r of records) {
      globalThis.seen.push(r.target.dataset.station + "|" + (r.target.getAttribute("style") ?? ""));
    }
  }).observe(document.getElementById("ranking-rows"), {
    subtree: true,
    attributeFilter: ["style"],
  });
`;

const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? "";

async function run(page: Page, c: DriverCommand): Promise<unknown> {
  switch (c.cmd) {
    case "open":
      await page.goto(String(c.url));
      await page.waitForSelector("#status[data-state=live]");
      await page.waitForSelector("body[data-version]");
      return {
        nowEmpty: await page.isVisible("#now-empty"),
        nowText: await text(page, "#now-empty"),
        forecastText: await text(page, "#forecast-empty"),
        modelText: await text(page, "#model-empty"),
      };
    case "waitText": {
      const re = new RegExp(String(c.pattern));
      const deadline = Date.now() + Number(c.timeoutMs ?? 20_000);
      let seen = await text(page, String(c.selector));
      while (!re.test(seen)) {
        if (Date.now() > deadline) {
          throw new Error(`${c.selector} never matched ${re}; last: ${seen.slice(0, 300)}`);
        }
        await page.waitForTimeout(100);
        seen = await text(page, String(c.selector));
      }
      return { text: seen };
    }
    case "text":
      return { text: await text(page, String(c.selector)) };
    case "count":
      return { count: await page.locator(String(c.selector)).count() };
    case "ranking":
      return {
        order: await page.$$eval(
          "#ranking-rows tr",
          (rows) => rows.map((r) => r.getAttribute("data-station")),
        ),
      };
    case "record":
      await page.evaluate(RECORD_STYLE_CHANGES);
      return {};
    case "seen":
      return { seen: await page.evaluate<string[]>("globalThis.seen ?? []") };
    case "wait":
      await page.waitForTimeout(Number(c.ms));
      return {};
    case "screenshot":
      await page.screenshot({ path: String(c.path), fullPage: true });
      return {};
    default:
      throw new Error(`unknown command ${c.cmd}`);
  }
}

await serveDriver(run, { width: 1280, height: 900 });
