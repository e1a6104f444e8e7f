// JSON text that is already serialized (a stored view, e.g. `usage_lines.view`), and the answer body that writes
// it out as is instead of parsing it into objects to stringify them again.

/**
 * An answer item held as its JSON text (`T`: the value that text encodes). `JSON.stringify` sees its value (via
 * `toJSON`); {@link answerJson} writes its text.
 */
export class RawJson<T = unknown> {
  constructor(readonly text: string) {}

  toJSON(): T {
    return JSON.parse(this.text) as T;
  }
}

const item = (value: unknown): string => (value instanceof RawJson ? value.text : (JSON.stringify(value) ?? "null"));

/**
 * `JSON.stringify(payload)`, but the items of its `data` array that are {@link RawJson} are written as their text
 * (the same JSON: the keys in the payload's order, undefined values left out as `JSON.stringify` does).
 */
export function answerJson(payload: Record<string, unknown>): string {
  const data = payload.data;
  if (!Array.isArray(data) || !data.some((d) => d instanceof RawJson)) return JSON.stringify(payload);
  const members: string[] = [];
  for (const [key, value] of Object.entries(payload)) {
    if (value === undefined) continue;
    members.push(`${JSON.stringify(key)}:${key === "data" ? `[${data.map(item).join(",")}]` : JSON.stringify(value)}`);
  }
  return `{${members.join(",")}}`;
}
