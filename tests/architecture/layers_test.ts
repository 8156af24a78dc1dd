/**
 * The layering rule, enforced: reads every TypeScript module's imports (static,
 * dynamic and type-only) and fails on an upward import, a circle between
 * folders, low-layer I/O, an I/O package imported outside its one owner, or a
 * leaderboard import of airq's own modules. Also checks that
 * docs/architecture.md's layer table names every folder in its rule's layer.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import {
  IO_IN_LOW_LAYERS,
  layerOf,
  LAYERS,
  LEADERBOARD_SHARES,
  PACKAGE_OWNERS,
} from "./_layers.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SKIP = new Set(["node_modules", "var", "coverage", ".git", "web"]);

async function sources(dir = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory && !SKIP.has(entry.name) && !entry.name.startsWith(".")) {
      out.push(...await sources(path));
    } else if (entry.isFile && path.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** Code without comments, so documentation examples are not read as imports. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g;

interface Module {
  path: string;
  text: string;
  imports: string[];
  packages: string[];
}

async function modules(): Promise<Module[]> {
  return await Promise.all((await sources()).map(async (path) => {
    const text = code(await Deno.readTextFile(join(ROOT, path)));
    const imports: string[] = [];
    const packages: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1]!;
      if (spec.startsWith(".") && spec.endsWith(".ts")) {
        imports.push(normalize(join(dirname(path), spec)));
      } else packages.push(spec);
    }
    return { path, text, imports, packages };
  }));
}

const all = await modules();

Deno.test("layers: every module has a layer, and no module imports a higher layer", () => {
  const unplaced = all.filter((m) => layerOf(m.path) === undefined).map((m) => m.path);
  assert.deepEqual(
    unplaced,
    [],
    "modules outside every layer rule (tests/architecture/_layers.ts)",
  );
  const upward: string[] = [];
  for (const m of all) {
    const own = layerOf(m.path)!;
    for (const target of m.imports) {
      const theirs = layerOf(target);
      if (theirs === undefined || theirs > own) {
        upward.push(
          `${m.path} (${LAYERS[own]!.name}) imports ${target} (${
            theirs === undefined ? "no layer" : LAYERS[theirs]!.name
          })`,
        );
      }
    }
  }
  assert.deepEqual(upward, []);
});

Deno.test("layers: no circle between lib/ folders", () => {
  const unit = (p: string) => p.split("/").slice(0, p.startsWith("lib/harness/") ? 3 : 2).join("/");
  const edges = new Map<string, Set<string>>();
  for (const m of all.filter((m) => m.path.startsWith("lib/"))) {
    for (const target of m.imports.filter((t) => t.startsWith("lib/"))) {
      if (unit(target) === unit(m.path)) continue;
      if (!edges.has(unit(m.path))) edges.set(unit(m.path), new Set());
      edges.get(unit(m.path))!.add(unit(target));
    }
  }
  const circles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (node: string, trail: string[]) => {
    if (state.get(node) === "done") return;
    if (state.get(node) === "open") {
      circles.push([...trail.slice(trail.indexOf(node)), node].join(" -> "));
      return;
    }
    state.set(node, "open");
    for (const next of edges.get(node) ?? []) visit(next, [...trail, node]);
    state.set(node, "done");
  };
  for (const node of edges.keys()) visit(node, []);
  assert.deepEqual(circles, []);
});

Deno.test("layers: foundation and core modules do no I/O (no Deno.*)", () => {
  const core = LAYERS.findIndex((l) => l.name === "core");
  const offenders = all
    .filter((m) => m.path.startsWith("lib/") && layerOf(m.path)! <= core)
    .filter((m) => !IO_IN_LOW_LAYERS.includes(m.path) && /\bDeno\./.test(m.text))
    .map((m) => m.path);
  assert.deepEqual(offenders, []);
});

Deno.test("layers: each I/O package is imported by its one owner module", () => {
  const strays: string[] = [];
  for (const m of all.filter((m) => !m.path.startsWith("tests/") && !m.path.includes("/tests/"))) {
    for (const pkg of m.packages) {
      const owners = PACKAGE_OWNERS[pkg];
      if (owners !== undefined && !owners.includes(m.path)) strays.push(`${m.path} imports ${pkg}`);
    }
  }
  assert.deepEqual(strays, []);
});

Deno.test("layers: the leaderboard app uses only lib/kafka, lib/config and the shared helpers", () => {
  const strays = all
    .filter((m) => m.path.startsWith("apps/leaderboard/"))
    .flatMap((m) => m.imports.map((t) => ({ from: m.path, to: t })))
    .filter(({ to }) =>
      !to.startsWith("apps/leaderboard/") && !to.startsWith("tests/") &&
      !LEADERBOARD_SHARES.some((p) => p.endsWith("/") ? to.startsWith(p) : to === p)
    )
    .map(({ from, to }) => `${from} imports ${to}`);
  assert.deepEqual(strays, []);
  const reverse = all
    .filter((m) => !m.path.startsWith("apps/leaderboard/"))
    .filter((m) => m.imports.some((t) => t.startsWith("apps/leaderboard/")))
    .map((m) => m.path);
  assert.deepEqual(reverse, [], "airq modules importing the leaderboard app");
});

Deno.test("docs/architecture.md: the layer table names every folder in its rule's layer", async () => {
  const doc = await Deno.readTextFile(join(ROOT, "docs/architecture.md"));
  const rows = new Map<string, string>();
  for (const line of doc.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const layer = LAYERS.find((l) => l.name === cells[1]);
    if (layer !== undefined) rows.set(layer.name, cells[2] ?? "");
  }
  assert.deepEqual(
    [...rows.keys()],
    LAYERS.map((l) => l.name),
    "one table row per layer, in order",
  );
  const folders = new Set<string>();
  for (const m of all) {
    const parts = m.path.split("/");
    if (parts[0] === "lib" && parts.length > 2) {
      folders.add(
        parts.slice(0, parts[1] === "harness" && parts.length > 3 ? 3 : 2).join("/") + "/",
      );
    }
  }
  const missing: string[] = [];
  for (const folder of folders) {
    const layer = LAYERS[layerOf(folder + "x.ts")!]!.name;
    const mentioned = [...(rows.get(layer) ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    if (!mentioned.some((p) => p === folder || p === folder.slice(0, -1) || folder.startsWith(p))) {
      missing.push(`${folder} (layer ${layer})`);
    }
  }
  for (const [i, layer] of LAYERS.entries()) {
    for (const p of layer.paths) {
      const cell = rows.get(layer.name) ?? "";
      if (!cell.includes("`" + p + "`")) missing.push(`${p} (layer ${LAYERS[i]!.name})`);
    }
  }
  assert.deepEqual(missing, []);
});
