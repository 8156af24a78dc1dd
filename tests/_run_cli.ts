/**
 * The command line of `deno task test` (tests/run.ts), apart so that tests/cli/help_test.ts can
 * check in-process what it hands to `deno test`.
 *
 * @module
 */
import { type ArgsOf, type Command, defineCommand, opt, type Option } from "../lib/cli/command.ts";

/** The options `deno task test` takes (the rest of `deno test`'s are refused). */
type TestOptions = {
  filter: Option<string | undefined>;
  "fail-fast": Option<boolean>;
  parallel: Option<boolean>;
  "trace-leaks": Option<boolean>;
};

export const CLI: Command<TestOptions> = defineCommand({
  task: "test",
  description: "All tests, against a private Kafka broker started (and stopped) for the run; " +
    "caches the dependencies and the dataset first.",
  operands: {
    value: "PATH",
    help: "test files or folders to run (relative to where you run it; default: every test)",
  },
  options: {
    filter: opt.string("run only the tests whose name contains TEXT (or matches /REGEX/)", {
      value: "TEXT",
    }),
    "fail-fast": opt.flag("stop at the first failing test"),
    parallel: opt.flag("run test files in parallel (one per core)"),
    "trace-leaks": opt.flag("show where leaked timers, ops and resources were started"),
  },
  notes: "AIRQ_DATASET: the UCI CSV to test with (default: the shared copy, the cache or a " +
    "download checked against its SHA-256).",
});

/** The arguments for `deno test`: the flags given, then the paths. */
export function denoTestArgs(args: ArgsOf<typeof CLI>): string[] {
  return [
    ...(args.filter === undefined ? [] : [`--filter=${args.filter}`]),
    ...(args["fail-fast"] ? ["--fail-fast"] : []),
    ...(args.parallel ? ["--parallel"] : []),
    ...(args["trace-leaks"] ? ["--trace-leaks"] : []),
    ...(args.operands ?? []),
  ];
}
