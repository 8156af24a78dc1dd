/**
 * The SARIMA artifact `deno task train` writes (`<modelDir>/sarima.json`): per
 * target, the order, transform, fit window and fitted coefficients of the
 * final SARIMA fit, and its blend weights in `best`; validated by a zod schema
 * when read back. A separate file (not one `airq-model` artifact per target):
 * SARIMA has no feature vector and serves every horizon from one fit.
 *
 * Pure: no `Deno.*`, no I/O.
 *
 * @module
 */
import { z } from "zod";
import type { SarimaFilterSpec } from "./_sarima_system.ts";

/** Version of the SARIMA artifact format. */
export const SARIMA_ARTIFACT_VERSION = 1;

const num = z.number();
const int = z.number().int();

/** One target's fitted SARIMA. */
export const SarimaTargetSchema = z.strictObject({
  /** Target column as in the UCI file, e.g. `CO(GT)`. */
  target: z.string(),
  order: z.strictObject({
    p: int.min(0),
    d: int.min(0),
    q: int.min(0),
    P: int.min(0),
    D: int.min(0),
    Q: int.min(0),
    s: int.min(0),
  }),
  transform: z.enum(["none", "log1p"]),
  /** Hours the fit used; ctsa forecasts from the same number of hours ending at the origin. */
  windowH: int.min(2),
  /** First and last hour of the fit window (ISO), the last being the fit window's end. */
  fitWindow: z.strictObject({ from: z.string(), to: z.string(), hours: int.min(1) }),
  coefficients: z.strictObject({
    phi: z.array(num),
    theta: z.array(num),
    PHI: z.array(num),
    THETA: z.array(num),
    mean: num,
    sigma2: num,
    loglik: num,
    aic: num,
    /** ctsa's exit code (1: probable success). */
    retval: int,
  }),
  /** Weight of SARIMA in `best` per horizon (`"1"`, `"6"`, `"24"`), from `sarima.blendWeight`. */
  blendWeight: z.record(z.string(), num.min(0).max(1)),
}).superRefine((m, ctx) => {
  const { p, q, P, Q } = m.order;
  const lengths = [["phi", p], ["theta", q], ["PHI", P], ["THETA", Q]] as const;
  for (const [name, n] of lengths) {
    if (m.coefficients[name].length !== n) {
      ctx.addIssue({
        code: "custom",
        message: `${name} must hold ${n} coefficients for this order`,
        path: ["coefficients", name],
      });
    }
  }
  if (m.windowH !== m.fitWindow.hours) {
    ctx.addIssue({
      code: "custom",
      message: "windowH must equal fitWindow.hours",
      path: ["windowH"],
    });
  }
});

/** One target's fitted SARIMA. */
export type SarimaTargetModel = z.infer<typeof SarimaTargetSchema>;

/** Schema of `<modelDir>/sarima.json`. */
export const SarimaArtifactSchema = z.strictObject({
  format: z.literal("airq-sarima"),
  version: z.literal(SARIMA_ARTIFACT_VERSION),
  createdAt: z.string(),
  models: z.array(SarimaTargetSchema),
});

/** `<modelDir>/sarima.json`. */
export type SarimaArtifact = z.infer<typeof SarimaArtifactSchema>;

/**
 * Reads a SARIMA artifact from JSON text.
 *
 * @throws {SyntaxError} when the text is not JSON.
 * @throws {TypeError} when it is not a valid SARIMA artifact; the message lists the problems.
 */
export function parseSarimaArtifact(text: string, shown = "<sarima artifact>"): SarimaArtifact {
  const result = SarimaArtifactSchema.safeParse(JSON.parse(text));
  if (!result.success) {
    throw new TypeError(
      `${shown} is not an airq SARIMA artifact:\n${z.prettifyError(result.error)}`,
    );
  }
  return result.data;
}

/** What a {@linkcode SarimaFilter} needs of a saved model. */
export function sarimaFilterSpec(model: SarimaTargetModel): SarimaFilterSpec {
  return { order: model.order, transform: model.transform, coefficients: model.coefficients };
}
