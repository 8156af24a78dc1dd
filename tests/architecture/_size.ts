/**
 * The size rule of lib/ as a `deno lint` plugin (loaded by `lint.plugins` in
 * deno.json, so `deno lint` and CI enforce it): no module in `lib/` over
 * {@link MAX_MODULE_LINES} lines and no function over
 * {@link MAX_FUNCTION_LINES} lines, except where the module's doc comment
 * says why.
 *
 * Functions are measured on the linter's own syntax tree, from the line of
 * their first token (for a class or object method: its name, modifiers
 * included) to the line of their last, both counted: function declarations,
 * function expressions, arrow functions, class and object methods, getters
 * and setters. A module's length is its number of lines, as `wc -l` counts.
 *
 * An exception is a line in the module's first doc comment (the `/** ... *\/`
 * before the first statement), with a reason after the colon:
 *
 * - `Size exception: <reason>` lets the module exceed the line limit;
 * - `Size exception for <name>: <reason>` lets the function called `<name>`
 *   (its declared name, or the variable, method or property that holds it)
 *   exceed the function limit.
 *
 * This file imports nothing, so tests/architecture/size_test.ts can copy it
 * next to a planted module and run the real `deno lint` on both.
 *
 * @module
 */

/** Longest module in lib/, in lines. */
export const MAX_MODULE_LINES = 400;
/** Longest function in lib/, in lines. */
export const MAX_FUNCTION_LINES = 80;

const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname);

/** The repository-relative path of a linted file (absolute under the root, or already relative). */
function relative(filename: string): string {
  const path = filename.replaceAll("\\", "/");
  if (path.startsWith(ROOT)) return path.slice(ROOT.length);
  return path.replace(/^\.\//, "");
}

/** The exceptions a module doc grants: the module itself, and functions by name. */
export interface SizeExceptions {
  module: boolean;
  functions: Set<string>;
}

const EXCEPTION = /^\s*\*?\s*Size exception(?: for ([\w$.#]+))?:\s*(\S.*)$/;

/** Reads the `Size exception` lines of a module doc's text (the comment's inside). */
export function sizeExceptions(doc: string | undefined): SizeExceptions {
  const out: SizeExceptions = { module: false, functions: new Set() };
  for (const line of (doc ?? "").split("\n")) {
    const m = EXCEPTION.exec(line);
    if (m === null) continue;
    if (m[1] === undefined) out.module = true;
    else out.functions.add(m[1]);
  }
  return out;
}

/** 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** The name of a property or method key, when it has one. */
function keyName(key: Deno.lint.Node): string | undefined {
  if (key.type === "Identifier" || key.type === "PrivateIdentifier") return key.name;
  if (key.type === "Literal" && typeof key.value === "string") return key.value;
  return undefined;
}

type FunctionNode =
  | Deno.lint.FunctionDeclaration
  | Deno.lint.FunctionExpression
  | Deno.lint.ArrowFunctionExpression;

/** Where a function starts (its method or property when it is one) and the name it goes by. */
function located(node: FunctionNode): { start: number; name: string } {
  const parent = node.parent as Deno.lint.Node;
  if (node.type === "FunctionDeclaration" && node.id) {
    return { start: node.range[0], name: node.id.name };
  }
  if (node.type === "FunctionExpression" && node.id) {
    return { start: node.range[0], name: node.id.name };
  }
  if (parent.type === "MethodDefinition" || parent.type === "TSAbstractMethodDefinition") {
    return { start: parent.range[0], name: keyName(parent.key) ?? "(computed method)" };
  }
  if (parent.type === "Property" && (parent.method || parent.kind !== "init")) {
    return { start: parent.range[0], name: keyName(parent.key) ?? "(computed method)" };
  }
  if (parent.type === "Property" || parent.type === "PropertyDefinition") {
    return { start: node.range[0], name: keyName(parent.key) ?? "(anonymous)" };
  }
  if (parent.type === "VariableDeclarator" && parent.id.type === "Identifier") {
    return { start: node.range[0], name: parent.id.name };
  }
  return { start: node.range[0], name: "(anonymous)" };
}

/** The rule. */
export function sizeRule(): Deno.lint.Rule {
  return {
    create(context) {
      const path = relative(context.filename);
      if (!path.startsWith("lib/") || !path.endsWith(".ts")) return {};
      const text = context.sourceCode.text;
      let exceptions: SizeExceptions = { module: false, functions: new Set() };
      const firstLine = (offset: number): Deno.lint.Range => {
        const end = text.indexOf("\n", offset);
        return [offset, end === -1 ? text.length : end];
      };
      const checkFunction = (node: FunctionNode): void => {
        const { start, name } = located(node);
        const lines = lineAt(text, node.range[1]) - lineAt(text, start) + 1;
        if (lines <= MAX_FUNCTION_LINES || exceptions.functions.has(name)) return;
        context.report({
          range: firstLine(start),
          message: `function \`${name}\` is ${lines} lines (limit ${MAX_FUNCTION_LINES})`,
          hint: `split it into named helpers, or add "Size exception for ${name}: <reason>" ` +
            "to the module doc",
        });
      };
      return {
        Program(node) {
          const first = node.body[0]?.range[0] ?? text.length;
          const doc = context.sourceCode.getAllComments().find((c) =>
            c.type === "Block" && c.value.startsWith("*") && c.range[1] <= first
          );
          exceptions = sizeExceptions(doc?.value);
          const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
          if (lines <= MAX_MODULE_LINES || exceptions.module) return;
          context.report({
            range: firstLine(0),
            message: `module is ${lines} lines (limit ${MAX_MODULE_LINES})`,
            hint: 'split it by responsibility, or add "Size exception: <reason>" to the module doc',
          });
        },
        FunctionDeclaration: checkFunction,
        FunctionExpression: checkFunction,
        ArrowFunctionExpression: checkFunction,
      };
    },
  };
}

/** The plugin: one rule, `airq-size/max-lines`. */
const plugin: Deno.lint.Plugin = {
  name: "airq-size",
  rules: { "max-lines": sizeRule() },
};
export default plugin;
