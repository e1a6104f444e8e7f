// A strict reader of the Prometheus text exposition format 0.0.4 for the metrics tests: every line must be a
// HELP, a TYPE, a sample of the family they announced, or blank; anything else throws with the line. Written for
// the tests, independent of prom-client (which only writes the format).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  samples: Sample[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
// Go's ParseFloat, which Prometheus reads values with, takes NaN in any case (prom-client writes "Nan")
const VALUE = "([Nn]a[Nn]|[+-]Inf|[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?)";
const HELP_LINE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? ${VALUE}(?: -?\\d+)?$`);
const LABELS = new RegExp(LABEL, "g");

/** Sample names a family of `type` may carry. */
function memberOf(family: Family, name: string): boolean {
  if (family.type === "histogram") return [`${family.name}_bucket`, `${family.name}_sum`, `${family.name}_count`].includes(name);
  if (family.type === "summary") return [family.name, `${family.name}_sum`, `${family.name}_count`].includes(name);
  return name === family.name;
}

function unescape(value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, c: string) => (c === "n" ? "\n" : c));
}

/**
 * Parses an exposition; throws on any line outside the format, a sample of no announced family, a family announced
 * twice, or a series given twice.
 */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const series = new Set<string>();
  let current: Family | undefined;
  text.split("\n").forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === "") return;
    const help = HELP_LINE.exec(line);
    if (help) {
      if (families.has(help[1])) throw new Error(`family announced twice at ${where}`);
      current = { name: help[1], type: "untyped", help: help[2], samples: [] };
      families.set(help[1], current);
      return;
    }
    const type = TYPE_LINE.exec(line);
    if (type) {
      if (current?.name !== type[1] || current.samples.length > 0) throw new Error(`TYPE without its HELP at ${where}`);
      current.type = type[2] as Family["type"];
      return;
    }
    const sample = SAMPLE_LINE.exec(line);
    if (!sample) throw new Error(`not in the text format at ${where}`);
    if (!current || !memberOf(current, sample[1])) throw new Error(`sample outside its family at ${where}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? "").matchAll(LABELS)) {
      if (m[1] in labels) throw new Error(`label ${m[1]} twice at ${where}`);
      labels[m[1]] = unescape(m[2]);
    }
    const key = `${sample[1]}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) throw new Error(`series given twice at ${where}`);
    series.add(key);
    const raw = sample[sample.length - 1];
    current.samples.push({ name: sample[1], labels, value: /^nan$/i.test(raw) ? NaN : raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw) });
  });
  return families;
}

/** The value of the one sample named `name` whose labels include `labels`; throws when there is none or several. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const found = [...families.values()]
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0].value;
}

/** Every sample named `name` (any labels). */
export function samplesOf(families: Map<string, Family>, name: string): Sample[] {
  return [...families.values()].flatMap((f) => f.samples).filter((s) => s.name === name);
}
