/**
 * docs/brief.md maps every deliverable of the course brief to where airq
 * delivers it. These tests hold its links, and those of every other
 * Markdown document in the repository, to files and anchors that exist: a
 * renamed heading, a moved file or a figure that is no longer generated
 * fails here instead of leaving a reader at a dead link.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Anchors a Markdown file offers: its headings' slugs (repeats get -1, -2, ...) and explicit ids. */
function markdownAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading?.[1] !== undefined) {
      const base = slug(heading[1]);
      const n = seen.get(base) ?? 0;
      anchors.add(n === 0 ? base : `${base}-${n}`);
      seen.set(base, n + 1);
    }
    for (const m of line.matchAll(/\bid="([^"]+)"/g)) anchors.add(m[1] ?? "");
  }
  return anchors;
}

/** Anchors an HTML page offers: every id attribute. */
function htmlAnchors(text: string): Set<string> {
  return new Set([...text.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1] ?? ""));
}

/** Relative links of a Markdown text, outside code spans and fences. */
function links(text: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    if (fenced) continue;
    const prose = line.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] ?? "";
      if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
      out.push(target);
    }
  }
  return out;
}

/** The dead links of one Markdown file, each as "file: target (why)". */
function deadLinks(file: string): string[] {
  const text = Deno.readTextFileSync(file);
  const dead: string[] = [];
  const where = relative(ROOT, file);
  for (const target of links(text)) {
    const [path = "", anchor] = target.split("#", 2);
    const resolved = path === "" ? file : join(dirname(file), decodeURI(path));
    let stat: Deno.FileInfo;
    try {
      stat = Deno.statSync(resolved);
    } catch {
      dead.push(`${where}: ${target} (no such file)`);
      continue;
    }
    if (anchor === undefined || anchor === "") continue;
    if (!stat.isFile) {
      dead.push(`${where}: ${target} (an anchor into a folder)`);
      continue;
    }
    const body = Deno.readTextFileSync(resolved);
    const anchors = resolved.endsWith(".md")
      ? markdownAnchors(body)
      : resolved.endsWith(".html")
      ? htmlAnchors(body)
      : null;
    if (anchors === null) dead.push(`${where}: ${target} (anchor into a file that has none)`);
    else if (!anchors.has(anchor)) dead.push(`${where}: ${target} (no anchor "${anchor}")`);
  }
  return dead;
}

function markdownFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "var") {
        continue;
      }
      const path = join(dir, entry.name);
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".md")) files.push(path);
    }
  };
  walk(ROOT);
  return files.sort();
}

Deno.test("slug() turns headings into GitHub's anchors", () => {
  assert.deepEqual(slug("Features (`lib/features`)"), "features-libfeatures");
  assert.deepEqual(
    slug("server.properties, setting by setting"),
    "serverproperties-setting-by-setting",
  );
  assert.deepEqual(slug("Page-Hinkley on the model's errors"), "page-hinkley-on-the-models-errors");
  assert.deepEqual(slug("Ätzend: 90 % intervals"), "ätzend-90--intervals");
});

Deno.test("the dead-link check finds a missing file, a missing heading and a missing id", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(join(dir, "a.md"), "# Title\n\n## Some section\n");
    Deno.writeTextFileSync(join(dir, "p.html"), '<h2 id="x">X</h2>');
    Deno.writeTextFileSync(
      join(dir, "index.md"),
      [
        "[ok](a.md#some-section) [ok](p.html#x) [ok](#here) `[code](gone.md)`",
        "## Here",
        "[bad](gone.md) [bad](a.md#other) [bad](p.html#y) [web](https://example.org/x)",
      ].join("\n"),
    );
    assert.deepEqual(deadLinks(join(dir, "index.md")).map((d) => d.replace(/^[^:]*: /, "")), [
      "gone.md (no such file)",
      'a.md#other (no anchor "other")',
      'p.html#y (no anchor "y")',
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("docs/brief.md covers the four phases and every link in it exists", () => {
  const file = join(ROOT, "docs", "brief.md");
  const text = Deno.readTextFileSync(file);
  for (const phase of ["Phase 1", "Phase 2", "Phase 3", "Phase 4"]) {
    assert(text.includes(`## ${phase}`), `docs/brief.md has no section for ${phase}`);
  }
  assert(links(text).length >= 50, `only ${links(text).length} links in docs/brief.md`);
  assert.deepEqual(deadLinks(file), []);
});

Deno.test("every relative link in the repository's Markdown files exists", () => {
  const dead = markdownFiles().flatMap(deadLinks);
  assert.deepEqual(dead, []);
});
