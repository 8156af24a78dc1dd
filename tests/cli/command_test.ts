/**
 * The CLI parser (lib/cli/command.ts), the permission messages
 * (lib/cli/permissions.ts) and step progress (lib/cli/progress.ts), in-process.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CliExit,
  defineCommand,
  opt,
  required,
  UsageError,
  writeJson,
} from "../../lib/cli/command.ts";
import { allowedBy, permissionMessage } from "../../lib/cli/permissions.ts";
import { StepProgress } from "../../lib/cli/progress.ts";
import { checkLogEnv, type Logger } from "../../lib/log.ts";

const CLI = defineCommand({
  task: "sample",
  description: "A sample command.",
  options: {
    port: opt.int("port", { min: 0, max: 65535 }),
    count: opt.int("how many", { min: 1, default: 3 }),
    rate: opt.number("per second", { above: 0 }),
    kind: opt.choice("kind", ["up", "down"] as const),
    skin: required(opt.string("skin", { value: "ID" })),
    out: opt.path("output", { value: "DIR", default: "var/out" }),
    input: opt.path("input", { input: true }),
    loop: opt.flag("again"),
    json: opt.json(),
  },
});

const WITH_COMMANDS = defineCommand({
  task: "tool",
  description: "With commands.",
  commands: { up: "start", status: "show" },
  options: { json: opt.json() },
});

/** The UsageError `fn` throws, checked to be one line. */
function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof UsageError, `not a UsageError: ${error}`);
    assert.equal(error.code, 2);
    assert.ok(!error.text.includes("\n"), `more than one line: ${error.text}`);
    return error.text;
  }
  assert.fail("no usage error");
}

Deno.test("values are typed, defaulted and bounded", () => {
  const args = CLI.parse(["--skin", "a", "--port", "8080", "--rate", "2.5", "--kind", "up"]);
  assert.equal(args.port, 8080);
  assert.equal(args.count, 3);
  assert.equal(args.rate, 2.5);
  assert.equal(args.kind, "up");
  assert.equal(args.skin, "a");
  assert.equal(args.loop, false);
  assert.equal(args.out, undefined, "a default path is the command's, not resolved here");
  assert.equal(args.json, undefined);
  assert.equal(CLI.parse(["--skin=a", "--loop", "--count=7"]).count, 7);
});

Deno.test("a bad value names the option, the value and what is valid", () => {
  assert.equal(
    usage(() => CLI.parse(["--skin", "a", "--port", "70000"])),
    '--port "70000" is not valid: expected a whole number from 0 to 65535',
  );
  assert.equal(
    usage(() => CLI.parse(["--skin", "a", "--count", "1.5"])),
    '--count "1.5" is not valid: expected a whole number >= 1',
  );
  assert.equal(
    usage(() => CLI.parse(["--skin", "a", "--rate", "0"])),
    '--rate "0" is not valid: expected a number > 0',
  );
  assert.equal(
    usage(() => CLI.parse(["--skin", "a", "--kind", "sideways"])),
    '--kind "sideways" is not valid: expected one of up, down',
  );
  assert.match(usage(() => CLI.parse(["--skin", "a", "--port", ""])), /^--port "" is not valid/);
});

Deno.test("unknown options, missing values, stray arguments and missing required options", () => {
  assert.match(
    usage(() => CLI.parse(["--skin", "a", "--prot", "1"])),
    /^unknown option --prot: valid options are --port, --count, .*--help$/,
  );
  assert.match(usage(() => CLI.parse(["--skin", "a", "--port"])), /^--port needs a value/);
  assert.equal(usage(() => CLI.parse(["--skin", "a", "--loop=yes"])), "--loop takes no value");
  assert.match(usage(() => CLI.parse(["--skin", "a", "extra"])), /^unexpected argument "extra"/);
  assert.equal(usage(() => CLI.parse([])), "--skin is required: expected a non-empty value");
});

Deno.test("--help wins over everything else and prints the one format", () => {
  for (const argv of [["--help"], ["--port", "x", "-h"], ["--bogus", "--help"]]) {
    try {
      CLI.parse(argv);
      assert.fail("no help");
    } catch (error) {
      assert.ok(error instanceof CliExit && !(error instanceof UsageError));
      assert.equal(error.code, 0);
      assert.equal(error.text, CLI.help());
    }
  }
  const lines = CLI.help().split("\n");
  assert.equal(lines[0], "Usage: deno task sample [options]");
  assert.equal(lines[2], "A sample command.");
  assert.ok(lines.includes("Options:"));
  assert.ok(lines.some((l) => /^ {2}--count N +how many \(default: 3\)$/.test(l)));
  assert.ok(lines.some((l) => /^ {2}--skin ID +skin \(required\)$/.test(l)));
  assert.ok(lines.some((l) => /^ {2}--out DIR +output \(default: var\/out\)$/.test(l)));
  assert.ok(lines.some((l) => /^ {2}--json \[PATH\] +/.test(l)));
  assert.match(lines.at(-1)!, /^ {2}-h, --help +show this help and exit$/);
  assert.equal(WITH_COMMANDS.help().split("\n")[0], "Usage: deno task tool up|status [options]");
});

Deno.test("--json: stdout without PATH (end, before an option, before a command, -), else the file", () => {
  const base = ["--skin", "a"];
  assert.deepEqual(CLI.parse([...base, "--json"]).json, { path: null });
  assert.deepEqual(CLI.parse(["--json", ...base]).json, { path: null });
  assert.deepEqual(CLI.parse([...base, "--json", "-"]).json, { path: null });
  assert.deepEqual(CLI.parse([...base, "--json", "/tmp/x.json"]).json, { path: "/tmp/x.json" });
  assert.deepEqual(CLI.parse([...base, "--json=/tmp/y.json"]).json, { path: "/tmp/y.json" });
  assert.deepEqual(WITH_COMMANDS.parse(["--json", "status"]), {
    json: { path: null },
    command: "status",
  });
  assert.deepEqual(WITH_COMMANDS.parse(["up", "--json", "/tmp/z.json"]), {
    json: { path: "/tmp/z.json" },
    command: "up",
  });
});

Deno.test("commands: missing and unknown ones are usage errors", () => {
  assert.equal(usage(() => WITH_COMMANDS.parse([])), "missing command: expected one of up, status");
  assert.equal(
    usage(() => WITH_COMMANDS.parse(["down"])),
    'unknown command "down": expected one of up, status',
  );
  assert.match(usage(() => WITH_COMMANDS.parse(["up", "status"])), /^unexpected argument/);
});

Deno.test("relative paths are the caller's (INIT_CWD); a missing input is a usage error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "airq-cli-" });
  const before = Deno.env.get("INIT_CWD");
  try {
    Deno.env.set("INIT_CWD", dir);
    await Deno.writeTextFile(join(dir, "in.csv"), "x\n");
    const args = CLI.parse([
      "--skin",
      "a",
      "--out",
      "sub",
      "--input",
      "in.csv",
      "--json",
      "o.json",
    ]);
    assert.equal(args.out, join(dir, "sub"));
    assert.equal(args.input, join(dir, "in.csv"));
    assert.deepEqual(args.json, { path: join(dir, "o.json") });
    assert.equal(
      usage(() => CLI.parse(["--skin", "a", "--input", "gone.csv"])),
      `--input ${join(dir, "gone.csv")}: no such file or folder`,
    );
    await writeJson({ path: join(dir, "deep", "r.json") }, { a: 1 });
    assert.equal(await Deno.readTextFile(join(dir, "deep", "r.json")), '{\n  "a": 1\n}\n');
  } finally {
    if (before === undefined) Deno.env.delete("INIT_CWD");
    else Deno.env.set("INIT_CWD", before);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("AIRQ_LOG_LEVEL and AIRQ_LOG_FORMAT are checked", () => {
  const before = Deno.env.get("AIRQ_LOG_LEVEL");
  try {
    Deno.env.set("AIRQ_LOG_LEVEL", "verbose");
    assert.equal(
      checkLogEnv(),
      "AIRQ_LOG_LEVEL=verbose is not a log level: expected one of trace, debug, info, warning, error, fatal",
    );
    Deno.env.set("AIRQ_LOG_LEVEL", "debug");
    assert.equal(checkLogEnv(), null);
  } finally {
    if (before === undefined) Deno.env.delete("AIRQ_LOG_LEVEL");
    else Deno.env.set("AIRQ_LOG_LEVEL", before);
  }
});

Deno.test("a permission failure says what the task may touch, from its deno.json flags", () => {
  const read = allowedBy("train", "read");
  assert.ok(read !== null && read.length > 0, "train's --allow-read is a list");
  const error = new Deno.errors.NotCapable(
    'Requires read access to "/srv/x.csv", run again with the --allow-read flag',
  );
  const message = permissionMessage(error, "train")!;
  assert.equal(
    message,
    `\`deno task train\` may not read /srv/x.csv (it may read only under ${read.join(", ")}); ` +
      "put the file under one of those folders (a relative path is taken from where you run the command)",
  );
  const env = new Deno.errors.NotCapable(
    'Requires env access to "FOO", run again with the --allow-env flag',
  );
  assert.match(
    permissionMessage(env, "vote")!,
    /^`deno task vote` may not read the environment variable FOO/,
  );
  assert.equal(permissionMessage(new Error("other"), "train"), null);
  assert.equal(allowedBy("no-such-task", "read"), null);
});

Deno.test("step progress: k of N with an ETA at the pace so far", () => {
  const lines: [string, Record<string, unknown>][] = [];
  const log = { info: (m: string, p: Record<string, unknown>) => lines.push([m, p]) };
  let now = 0;
  const progress = new StepProgress(4, log as unknown as Logger, () => now);
  now = 2000;
  progress.step("first");
  assert.equal(progress.etaSeconds(), 6);
  now = 4000;
  progress.step("second");
  assert.deepEqual(lines[1]![1], { step: 2, steps: 4, what: "second", elapsed_s: 4, eta_s: 4 });
  assert.equal(lines[1]![0], "step {step} of {steps}: {what} ({elapsed_s} s, ETA {eta_s} s)");
  const open = new StepProgress(null, log as unknown as Logger, () => now);
  open.step("x");
  assert.equal(lines[2]![0], "step {step}: {what} ({elapsed_s} s)");
  assert.equal(open.etaSeconds(), null);
});
