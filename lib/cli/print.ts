/**
 * Printing a generated report as a reader sees it: the HTML to an A4 PDF with
 * headless Chromium (`chromium` on PATH), and each printed page to a PNG with
 * pdftoppm (Debian's poppler-utils). Used by `deno task report` (the final
 * report) and `deno task analyze` (the analysis report).
 *
 * @module
 */
import { readFile, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { pdfPageCount } from "../render/pdf.ts";

/** Prints `html` to `pdf` (A4, the page's own print CSS) with headless Chromium; returns the page count. */
export async function printPdf(html: string, pdf: string): Promise<number> {
  const profile = await Deno.makeTempDir({ prefix: "airq-report-chromium-" });
  try {
    const out = await new Deno.Command("chromium", {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        `--user-data-dir=${profile}`,
        "--no-pdf-header-footer",
        `--print-to-pdf=${resolve(pdf)}`,
        pathToFileURL(resolve(html)).href,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output().catch((error) => {
      if (error instanceof Deno.errors.NotFound) {
        throw new Error("--pdf needs Chromium: no `chromium` on PATH");
      }
      throw error;
    });
    if (!out.success) {
      const tail = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5).join("\n");
      throw new Error(`chromium exited with ${out.code} printing ${pdf}:\n${tail}`);
    }
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
  return pdfPageCount(await readFile(pdf));
}

/** Renders every page of `pdf` to `<dir>/page-N.png` with pdftoppm; returns the files in page order. */
export async function pagesToPng(pdf: string, dir: string, dpi = 60): Promise<string[]> {
  for await (const e of Deno.readDir(dir)) {
    if (/^page-\d+\.png$/.test(e.name)) await rm(join(dir, e.name));
  }
  const out = await new Deno.Command("pdftoppm", {
    args: ["-r", String(dpi), "-png", resolve(pdf), join(resolve(dir), "page")],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output().catch((error) => {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error("--png needs pdftoppm: install Debian's poppler-utils");
    }
    throw error;
  });
  if (!out.success) {
    throw new Error(`pdftoppm exited with ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  }
  // pdftoppm pads page numbers to the width of the last one (page-01.png …); drop the padding.
  const files: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const m = /^page-(\d+)\.png$/.exec(e.name);
    if (m !== null) files.push(e.name);
  }
  files.sort();
  const named: string[] = [];
  for (const name of files) {
    const n = Number(/^page-(\d+)\.png$/.exec(name)![1]);
    const to = join(dir, `page-${n}.png`);
    if (name !== `page-${n}.png`) await Deno.rename(join(dir, name), to);
    named.push(to);
  }
  return named.sort((a, b) =>
    Number(/(\d+)\.png$/.exec(a)![1]) - Number(/(\d+)\.png$/.exec(b)![1])
  );
}

/**
 * Prints `html` to `pdf`, and with `png` renders every page beside it;
 * throws when pdftoppm did not render every printed page.
 */
export async function printPages(
  html: string,
  pdf: string,
  png: boolean,
): Promise<{ pages: number; png: string[] }> {
  const pages = await printPdf(html, pdf);
  const pngs = png ? await pagesToPng(pdf, resolve(pdf, "..")) : [];
  if (png && pngs.length !== pages) {
    throw new Error(`pdftoppm rendered ${pngs.length} pages of a ${pages}-page PDF`);
  }
  return { pages, png: pngs };
}
