/**
 * The pid file of a broker airq started (`broker.pid.json` in its state folder):
 * its one schema, written by `up()` and read by `running()` (`local.ts`).
 *
 * @module
 */
import { z } from "zod";
import { BrokerError } from "./errors.ts";

/** What the pid file records about a broker airq started: its one schema, for the writer (`up()`) and the reader (`running()`). */
const BrokerRecordSchema = z.strictObject({
  pid: z.number().int(),
  brokerPort: z.number().int(),
  controllerPort: z.number().int(),
  version: z.string(),
  jarsFrom: z.enum(["kafka-home", "maven-cache"]),
  startedAt: z.string(),
});

/** What the pid file records about a broker airq started. */
export type BrokerRecord = z.infer<typeof BrokerRecordSchema>;

/**
 * The record in the pid file at `path`, null when there is none; a file that
 * is not one `writePidFile` wrote is an error naming it.
 */
export async function readPidFile(path: string): Promise<BrokerRecord | null> {
  try {
    return BrokerRecordSchema.parse(JSON.parse(await Deno.readTextFile(path)));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    if (error instanceof SyntaxError || error instanceof z.ZodError) {
      throw new BrokerError(
        "pid-file",
        `${path} is not the pid file \`broker up\` writes (${
          error instanceof z.ZodError ? z.prettifyError(error) : error.message
        }); if no broker of airq runs, delete it`,
      );
    }
    throw error;
  }
}

/** Writes `record` to the pid file at `path`, checked against its schema. */
export async function writePidFile(path: string, record: BrokerRecord): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(BrokerRecordSchema.parse(record), null, 2) + "\n");
}
