/**
 * The size rule (tests/architecture/_size.ts, a `deno lint` plugin): every
 * module in lib/ is within it, and the rule fails on planted over-long
 * modules and functions of every kind, both through `Deno.lint.runPlugin` and
 * through the real `deno lint` on a temporary copy.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import plugin, { MAX_FUNCTION_LINES, MAX_MODULE_LINES, sizeExceptions } from "./_size.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function libModules(dir = "lib"): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(join(ROOT, dir))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await libModules(path));
    else if (entry.isFile && path.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** `path:line message` for each finding, line from the diagnostic's range. */
function findings(path: string, source: string): string[] {
  return Deno.lint.runPlugin(plugin, path, source).map((d) => {
    const line = source.slice(0, d.range[0]).split("\n").length;
    return `${path}:${line} ${d.message}`;
  });
}

/** A module doc, then `lines` lines in all (with the final newline). */
function padded(head: string, body: string, lines: number): string {
  const used = (head + body).split("\n").length - 1;
  return head + body + "// filler\n".repeat(Math.max(0, lines - used));
}

/** A function of exactly `lines` lines, written as `kind`. */
function fn(kind: string, lines: number): string {
  const inner = "  x++;\n".repeat(lines - 2);
  switch (kind) {
    case "declaration":
      return `export function long(x: number): number {\n${inner}}\n`;
    case "expression":
      return `export const long = function (x: number): number {\n${inner}};\n`;
    case "arrow":
      return `export const long = (x: number): number => {\n${inner}};\n`;
    case "method":
      return `export class C {\n  long(x: number): number {\n${inner}  }\n}\n`;
    case "getter":
      return `export class C {\n  x = 0;\n  get long(): number {\n  let x = this.x;\n${
        "  x++;\n".repeat(lines - 3)
      }}\n}\n`;
    default:
      throw new Error(kind);
  }
}

const DOC = "/**\n * A planted module.\n *\n * @module\n */\n";

Deno.test("size: every module in lib/ is within the size rule", async () => {
  const found: string[] = [];
  const modules = await libModules();
  for (const path of modules) {
    found.push(...findings(path, await Deno.readTextFile(join(ROOT, path))));
  }
  assert.ok(modules.length > 100, `${modules.length} modules found under lib/`);
  assert.deepEqual(found, [], `over the size rule:\n${found.join("\n")}`);
});

Deno.test("size: a planted module over the line limit fails, at the limit passes", () => {
  const over = padded(DOC, "export const a = 1;\n", MAX_MODULE_LINES + 1);
  assert.equal(over.split("\n").length - 1, MAX_MODULE_LINES + 1);
  assert.deepEqual(findings("lib/planted.ts", over), [
    `lib/planted.ts:1 module is ${MAX_MODULE_LINES + 1} lines (limit ${MAX_MODULE_LINES})`,
  ]);
  const at = padded(DOC, "export const a = 1;\n", MAX_MODULE_LINES);
  assert.deepEqual(findings("lib/planted.ts", at), []);
  // Only lib/ is under the rule.
  assert.deepEqual(findings("tools/planted.ts", over), []);
});

for (const kind of ["declaration", "expression", "arrow", "method", "getter"]) {
  Deno.test(`size: a planted ${kind} over the function limit fails, at the limit passes`, () => {
    const over = DOC + fn(kind, MAX_FUNCTION_LINES + 1);
    const line = kind === "method" ? 7 : kind === "getter" ? 8 : 6;
    assert.deepEqual(findings("lib/planted.ts", over), [
      `lib/planted.ts:${line} function \`long\` is ${
        MAX_FUNCTION_LINES + 1
      } lines (limit ${MAX_FUNCTION_LINES})`,
    ]);
    assert.deepEqual(findings("lib/planted.ts", DOC + fn(kind, MAX_FUNCTION_LINES)), []);
  });
}

Deno.test("size: the module doc's exceptions need a reason and cover only what they name", () => {
  const withDoc = (lines: string) => `/**\n * A planted module.\n${lines} *\n * @module\n */\n`;
  const module = (doc: string) => padded(doc, "export const a = 1;\n", MAX_MODULE_LINES + 5);
  assert.deepEqual(
    findings("lib/planted.ts", module(withDoc(" * Size exception: one table, kept whole.\n"))),
    [],
  );
  assert.equal(findings("lib/planted.ts", module(withDoc(" * Size exception:\n"))).length, 1);
  const long = fn("declaration", MAX_FUNCTION_LINES + 5);
  assert.deepEqual(
    findings(
      "lib/planted.ts",
      withDoc(" * Size exception for long: a single state machine.\n") + long,
    ),
    [],
  );
  assert.equal(
    findings("lib/planted.ts", withDoc(" * Size exception for other: a reason.\n") + long).length,
    1,
  );
  // The module exception does not cover functions, nor a later comment the module doc.
  assert.equal(
    findings("lib/planted.ts", withDoc(" * Size exception: a reason.\n") + long).length,
    1,
  );
  assert.equal(
    findings("lib/planted.ts", DOC + "/** Size exception for long: late. */\n" + long).length,
    1,
  );
  assert.deepEqual(sizeExceptions(" * Size exception for a.b: why\n * Size exception: why"), {
    module: true,
    functions: new Set(["a.b"]),
  });
});

Deno.test("size: the real `deno lint` fails on a planted module through deno.json's plugin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-size-" });
  try {
    await Deno.mkdir(join(dir, "tests/architecture"), { recursive: true });
    await Deno.mkdir(join(dir, "lib"));
    await Deno.copyFile(
      join(ROOT, "tests/architecture/_size.ts"),
      join(dir, "tests/architecture/_size.ts"),
    );
    const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
    await Deno.writeTextFile(
      join(dir, "deno.json"),
      JSON.stringify({ lint: { plugins: config.lint.plugins } }),
    );
    const planted = padded(DOC, fn("arrow", MAX_FUNCTION_LINES + 3), MAX_MODULE_LINES + 2);
    await Deno.writeTextFile(join(dir, "lib/planted.ts"), planted);
    await Deno.writeTextFile(join(dir, "lib/fine.ts"), DOC + fn("arrow", 10));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["lint"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.success, false, text);
    assert.match(text, /airq-size\/max-lines/);
    assert.match(text, new RegExp(`module is ${MAX_MODULE_LINES + 2} lines`));
    assert.match(text, new RegExp(`function \`long\` is ${MAX_FUNCTION_LINES + 3} lines`));
    assert.match(text, /lib\/planted\.ts:1:/);
    assert.match(text, /lib\/planted\.ts:6:/);
    assert.doesNotMatch(text, /fine\.ts/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
