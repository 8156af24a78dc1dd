/**
 * Every `deno task` answers `--help` (exit 0, the one help format) and a bad
 * option (exit 2, one line on stderr naming it), run as a subprocess with the
 * task's own permissions from deno.json (lib/harness/tasks.ts), so a task
 * whose flags would refuse its own parser fails here. Also: a task that takes
 * a path may read `INIT_CWD`, or its relative paths would silently resolve
 * against the repository instead of the caller's folder.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runTask } from "../../lib/harness/tasks.ts";
import { CLI as TEST_CLI, denoTestArgs } from "../_run_cli.ts";

const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
const TASKS: string[] = Object.keys(config.tasks);
const commandOf = (task: string): string => {
  const entry = config.tasks[task];
  return typeof entry === "string" ? entry : entry.command;
};
const ENV = { NO_COLOR: "1" };

/** Runs `fn` over `items`, at most `limit` at a time (2 cores, shared with other runs). */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

Deno.test("every deno task answers --help: exit 0, one format; a path-taking task reads INIT_CWD", async () => {
  const results = await pool(TASKS, 3, (task) => runTask(task, ["--help"], ENV));
  for (const [i, task] of TASKS.entries()) {
    const { code, stdout, stderr } = results[i]!;
    assert.equal(code, 0, `${task} --help exited ${code}: ${stderr}`);
    assert.equal(stderr, "", `${task} --help wrote to stderr`);
    const lines = stdout.trimEnd().split("\n");
    assert.match(lines[0]!, new RegExp(`^Usage: deno task ${task}( [a-z|-]+)? \\[options\\]$`));
    assert.equal(lines[1], "", `${task}: a blank line after the usage line`);
    assert.ok(lines[2]!.length > 10, `${task}: a description after the usage line`);
    const options = lines.indexOf("Options:");
    assert.ok(options > 2, `${task}: an Options: section`);
    assert.ok(
      lines.slice(options + 1).some((l) => /^ {2}-h, --help {2,}show this help and exit$/.test(l)),
      `${task}: lists -h, --help`,
    );
    for (const line of lines) assert.ok(line.length <= 100, `${task}: line over 100: ${line}`);
    // a relative path is the caller's: the task must be allowed to read INIT_CWD
    if (/--[a-z-]+ \[?(PATH|DIR)\b/.test(stdout)) {
      // the script's own flags: after the launcher (tools/_launch.ts), if the task has one
      const argv = commandOf(task).split(/\s+/);
      const script = argv.slice(argv.lastIndexOf("run"));
      const allowEnv = script.find((a) => a.startsWith("--allow-env"));
      assert.ok(
        allowEnv === "--allow-env" || allowEnv?.split(/[=,]/).includes("INIT_CWD"),
        `${task} takes a path but its --allow-env (${allowEnv}) leaves out INIT_CWD`,
      );
    }
  }
});

Deno.test("every deno task rejects an unknown option with exit 2 and one line", async () => {
  const tasks = TASKS;
  assert.ok(tasks.includes("test"), "deno task test is checked like the others");
  const results = await pool(tasks, 3, (task) => runTask(task, ["--no-such-option"], ENV));
  for (const [i, task] of tasks.entries()) {
    const { code, stdout, stderr } = results[i]!;
    assert.equal(code, 2, `${task} --no-such-option exited ${code}: ${stderr}`);
    assert.equal(stdout, "", `${task}: nothing on stdout`);
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, `${task}: one line, got:\n${stderr}`);
    assert.match(lines[0]!, new RegExp(`^deno task ${task}: unknown option --no-such-option: `));
  }
});

Deno.test("deno task test: a path that does not exist is one line and exit 2, before a broker starts", async () => {
  const t0 = performance.now();
  const { code, stdout, stderr } = await runTask("test", ["tests/no_such_test.ts"], ENV);
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(stderr.trim(), "deno task test: tests/no_such_test.ts: no such file or folder");
  assert.ok(performance.now() - t0 < 30_000, "no broker was started");
});

Deno.test("deno task test hands its paths and supported flags to deno test", () => {
  // relative paths are the caller's (INIT_CWD): here, as if run at the repository root
  const before = Deno.env.get("INIT_CWD");
  Deno.env.set("INIT_CWD", fileURLToPath(new URL("../../", import.meta.url)));
  try {
    const args = denoTestArgs(
      TEST_CLI.parse(["--filter", "every deno task", "--fail-fast", "tests/cli", "tests/run.ts"]),
    );
    assert.deepEqual(args.slice(0, 2), ["--filter=every deno task", "--fail-fast"]);
    assert.deepEqual(args.slice(2), [
      fileURLToPath(new URL("../cli", import.meta.url)),
      fileURLToPath(new URL("../run.ts", import.meta.url)),
    ]);
  } finally {
    if (before === undefined) Deno.env.delete("INIT_CWD");
    else Deno.env.set("INIT_CWD", before);
  }
  assert.deepEqual(denoTestArgs(TEST_CLI.parse(["--parallel", "--trace-leaks"])), [
    "--parallel",
    "--trace-leaks",
  ]);
  assert.deepEqual(denoTestArgs(TEST_CLI.parse([])), [], "no path: deno test runs every test");
});

Deno.test("a bad value is refused before anything starts (demo --speed fast)", async () => {
  const t0 = performance.now();
  const { code, stdout, stderr } = await runTask("demo", ["--speed", "fast"], ENV);
  assert.equal(code, 2);
  assert.equal(stdout, "", "no step of the demo ran");
  assert.equal(
    stderr.trim(),
    'deno task demo: --speed "fast" is not valid: expected max, realtime or a number > 0',
  );
  // starting Kafka alone takes seconds; a usage error is the parser's
  assert.ok(performance.now() - t0 < 30_000);
});

Deno.test("an unknown AIRQ_LOG_LEVEL is a usage error naming the valid levels", async () => {
  const { code, stderr } = await runTask("quality", ["--db", "none.db"], {
    ...ENV,
    AIRQ_LOG_LEVEL: "verbose",
  });
  assert.equal(code, 2);
  assert.match(
    stderr.trim(),
    /^deno task quality: AIRQ_LOG_LEVEL=verbose is not a log level: expected one of trace, debug, info, warning, error, fatal$/,
  );
});

Deno.test("a missing input file is a usage error; --omit is how a report section is left out", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-cli-" });
  try {
    const missing = `${dir}/missing.json`;
    const { code, stderr } = await runTask("report", ["--evaluation", missing], ENV);
    assert.equal(code, 2);
    assert.equal(
      stderr.trim(),
      `deno task report: --evaluation ${missing}: no such file or folder`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a path outside the task's permissions says what a deno task user can do", async () => {
  const { code, stderr } = await runTask("train", ["--input", "/proc/version"], ENV);
  assert.equal(code, 2);
  assert.equal(stderr.trim().split("\n").length, 1);
  assert.match(stderr, /--input \/proc\/version: this task may not read \/proc\/version/);
  assert.match(stderr, /it may read only under .*put the file under one of those folders/);
  assert.ok(!stderr.includes("run again with"), "not Deno's advice, which a task user cannot take");
});
