import type { z } from "zod";

/** Turns zod issues into indented lines: what is wrong, then where. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? `\n  → at ${issue.path.join(".")}` : "";
    return `✖ ${issue.message}${where}`;
  }).join("\n");
}
