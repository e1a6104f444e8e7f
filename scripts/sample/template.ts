// The sample's prose lives in *.template.md next to this file; `{{name}}` marks where a value goes.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The template `scripts/sample/<name>` with every `{{key}}` replaced by `values[key]`.
 * @throws Error when the template names a key `values` lacks, or `values` holds a key the template never uses.
 * @example fillTemplate("terms.template.md", { name: "Helix Labs", … });
 */
export function fillTemplate(name: string, values: Readonly<Record<string, string | number>>): string {
  const unused = new Set(Object.keys(values));
  const text = readFileSync(join(__dirname, name), "utf8").replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`${name} names {{${key}}}, which has no value`);
    unused.delete(key);
    return String(values[key]);
  });
  if (unused.size > 0) throw new Error(`${name} does not use ${[...unused].join(", ")}`);
  return text;
}
