/**
 * No merge-conflict markers in any tracked text file. A README once carried
 * `<<<<<<< HEAD` ... `>>>>>>> branch` for a session, and deno fmt had turned
 * the `=======` between them into a heading, so it rendered as two tables.
 */
import assert from "node:assert/strict";

const MARKERS = ["<", ">"].map((c) => c.repeat(7) + " ");

Deno.test("no merge-conflict markers in tracked files", async () => {
  const ls = await new Deno.Command("git", { args: ["ls-files", "-z"], stdout: "piped" }).output();
  assert.ok(ls.success, "git ls-files failed");
  const files = new TextDecoder().decode(ls.stdout).split("\0").filter((f) =>
    /\.(md|ts|js|json|html|css|yml|yaml|sh|txt)$/.test(f) || f === ".ci/run"
  );
  assert.ok(files.length > 100, `only ${files.length} tracked text files found`);
  const found: string[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(file);
    text.split("\n").forEach((line, i) => {
      if (MARKERS.some((m) => line.startsWith(m))) found.push(`${file}:${i + 1}: ${line}`);
    });
  }
  assert.deepEqual(found, []);
});
