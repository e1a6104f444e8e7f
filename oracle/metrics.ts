// The oracles' Prometheus metrics (SERVICES §7), with prom-client: the figures of each run's summary (rows by
// outcome, batches or reports submitted, gas), runs by result and the times of the last success and failure.
// Follow mode serves them at GET /metrics (`--metrics-port`); a run writes them to a file for node_exporter's
// textfile collector (`--metrics-file`), atomically, carrying the counters and the last success and failure times
// of the file it replaces, so a failed run never hides when the oracle last succeeded. docs/operations.md.
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { DsxError } from "../sdk/errors";
import type { RevenueRunSummary } from "./revenue/run";
import { writeFileAtomic } from "./state/files";
import { gasPerGpuHour, type UsageRunSummary } from "./usage/summary";

export type OracleName = "usage" | "revenue";
export type RunResult = "success" | "failure";

/** What one run did, as the metrics count it. */
export interface RunFigures {
  /** Rows by where they came from (`export`, `earlier`, `accepted`, `input`) and what became of them. */
  rows: { source: string; outcome: string; count: number }[];
  /** Usage batches or revenue reports recorded on chain. */
  submitted: { kind: "batch" | "report"; count: number };
  gasUsed: bigint;
  /** Usage only: gas per GPU-hour attested, when anything was. */
  gasPerGpuHour?: bigint;
}

/** A usage run's summary as metrics: the five outcomes of every export row, and of the rows taken from the state. */
export function usageRunFigures(s: UsageRunSummary): RunFigures {
  const rows: RunFigures["rows"] = [];
  const add = (source: string, counts: Record<string, number>) => {
    for (const [outcome, count] of Object.entries(counts)) rows.push({ source, outcome, count });
  };
  add("export", { read: s.read, new: s.new, duplicate: s.duplicate, quarantined: s.quarantined, ignored: s.ignored, waiting: s.waiting });
  add("earlier", { ...s.earlier });
  add("accepted", { ...s.accepted });
  return { rows, submitted: { kind: "batch", count: s.submitted }, gasUsed: s.gasUsed, gasPerGpuHour: gasPerGpuHour(s) };
}

/** A revenue run's summary as metrics: its input rows by outcome, its reports and gas. */
export function revenueRunFigures(s: RevenueRunSummary): RunFigures {
  const counts: Record<string, number> = {
    read: s.rowsRead,
    revenue: s.revenueRows,
    ignored: s.ignored,
    quarantined: s.quarantined,
    duplicate: s.duplicates,
    conflicting: s.conflicts,
    out_of_term: s.outOfTerm,
    unplaced: s.unplaced,
  };
  return {
    rows: Object.entries(counts).map(([outcome, count]) => ({ source: "input", outcome, count })),
    submitted: { kind: "report", count: s.submitted },
    gasUsed: s.gasUsed,
  };
}

/** The oracle's metric families (one registry; the process metrics of follow mode live in another). */
export class OracleMetrics {
  readonly registry = new Registry();
  private readonly runs: Counter<"oracle" | "result">;
  private readonly lastSuccess: Gauge<"oracle">;
  private readonly lastFailure: Gauge<"oracle">;
  private readonly rowsTotal: Counter<"oracle" | "source" | "outcome">;
  private readonly lastRows: Gauge<"oracle" | "source" | "outcome">;
  private readonly submittedTotal: Counter<"oracle" | "kind">;
  private readonly lastSubmitted: Gauge<"oracle" | "kind">;
  private readonly gasTotal: Counter<"oracle">;
  private readonly lastGas: Gauge<"oracle">;
  private readonly lastGasPerGpuHour: Gauge<"oracle">;
  /** Families a run's file carries into the next one, with their label names. */
  private readonly carried: Map<string, { metric: Counter<string> | Gauge<string>; labelNames: string[] }>;

  constructor(readonly oracle: OracleName) {
    const registers = [this.registry];
    this.runs = new Counter({ name: "dsx_oracle_runs_total", help: "Runs (follow mode: passes) by result.", labelNames: ["oracle", "result"], registers });
    this.lastSuccess = new Gauge({ name: "dsx_oracle_last_success_timestamp_seconds", help: "When the last successful run ended (unix seconds).", labelNames: ["oracle"], registers });
    this.lastFailure = new Gauge({ name: "dsx_oracle_last_failure_timestamp_seconds", help: "When the last failed run ended (unix seconds).", labelNames: ["oracle"], registers });
    const rowLabels = ["oracle", "source", "outcome"] as const;
    this.rowsTotal = new Counter({ name: "dsx_oracle_rows_total", help: "Rows read, by source and outcome, over all runs.", labelNames: rowLabels, registers });
    this.lastRows = new Gauge({ name: "dsx_oracle_last_run_rows", help: "Rows of the last run by source and outcome (its summary's counts).", labelNames: rowLabels, registers });
    this.submittedTotal = new Counter({ name: "dsx_oracle_submitted_total", help: "Usage batches or revenue reports recorded on chain, over all runs.", labelNames: ["oracle", "kind"], registers });
    this.lastSubmitted = new Gauge({ name: "dsx_oracle_last_run_submitted", help: "Usage batches or revenue reports the last run recorded on chain.", labelNames: ["oracle", "kind"], registers });
    this.gasTotal = new Counter({ name: "dsx_oracle_gas_used_total", help: "Gas of the oracle's transactions, over all runs.", labelNames: ["oracle"], registers });
    this.lastGas = new Gauge({ name: "dsx_oracle_last_run_gas_used", help: "Gas of the last run's transactions.", labelNames: ["oracle"], registers });
    this.lastGasPerGpuHour = new Gauge({
      name: "dsx_oracle_last_run_gas_per_gpu_hour",
      help: "Usage: gas per GPU-hour the last run attested (absent when it attested none).",
      labelNames: ["oracle"],
      registers,
    });
    const carry = (name: string, metric: Counter<string> | Gauge<string>, ...labelNames: string[]) => [name, { metric, labelNames }] as const;
    this.carried = new Map([
      carry("dsx_oracle_runs_total", this.runs, "oracle", "result"),
      carry("dsx_oracle_last_success_timestamp_seconds", this.lastSuccess, "oracle"),
      carry("dsx_oracle_last_failure_timestamp_seconds", this.lastFailure, "oracle"),
      carry("dsx_oracle_rows_total", this.rowsTotal, ...rowLabels),
      carry("dsx_oracle_submitted_total", this.submittedTotal, "oracle", "kind"),
      carry("dsx_oracle_gas_used_total", this.gasTotal, "oracle"),
    ]);
  }

  /** Counts a finished run: its figures become the `last_run` gauges and are added to the totals. */
  record(result: RunResult, figures: RunFigures, at: Date = new Date()): void {
    const oracle = this.oracle;
    this.runs.inc({ oracle, result });
    (result === "success" ? this.lastSuccess : this.lastFailure).set({ oracle }, Math.floor(at.getTime() / 1000));
    for (const gauge of [this.lastRows, this.lastSubmitted, this.lastGas, this.lastGasPerGpuHour]) gauge.reset();
    for (const { source, outcome, count } of figures.rows) {
      this.lastRows.set({ oracle, source, outcome }, count);
      this.rowsTotal.inc({ oracle, source, outcome }, count);
    }
    const { kind, count } = figures.submitted;
    this.lastSubmitted.set({ oracle, kind }, count);
    this.submittedTotal.inc({ oracle, kind }, count);
    this.lastGas.set({ oracle }, Number(figures.gasUsed));
    this.gasTotal.inc({ oracle }, Number(figures.gasUsed));
    if (figures.gasPerGpuHour !== undefined) this.lastGasPerGpuHour.set({ oracle }, Number(figures.gasPerGpuHour));
  }

  /**
   * Takes over the totals and the last success and failure times of an earlier exposition (the metrics file a
   * previous run wrote). Lines of other families, and series with other label names, are left out.
   */
  carryOver(text: string): void {
    for (const line of text.split("\n")) {
      const m = SAMPLE.exec(line);
      const family = m && this.carried.get(m[1]);
      if (!m || !family) continue;
      const { metric, labelNames } = family;
      const labels = Object.fromEntries([...(m[2] ?? "").matchAll(LABEL)].map((l) => [l[1], l[2]]));
      if (Object.keys(labels).length !== labelNames.length || !labelNames.every((n) => n in labels)) continue;
      const value = Number(m[3]);
      if (!Number.isFinite(value) || value < 0) continue;
      if (metric instanceof Counter) metric.inc(labels, value);
      else metric.set(labels, value);
    }
  }
}

const SAMPLE = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/;
const LABEL = /([a-z_]+)="([^"\\]*)"/g;

/** Where a run's metrics go: a textfile-collector file, an HTTP endpoint, both or neither. */
export interface MetricsOutputOptions {
  oracle: OracleName;
  /** `--metrics-file`: rewritten (atomically) after every run. */
  file?: string;
  /** `--metrics-port`: GET /metrics on this port (0: any free one) while the process runs, with process metrics. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
}

export interface MetricsOutput {
  metrics: OracleMetrics;
  /** The endpoint's URL when serving. */
  url?: string;
  /** Records a run and rewrites the file. */
  record(result: RunResult, figures: RunFigures): Promise<void>;
  /** Stops serving. */
  close(): Promise<void>;
}

/**
 * Opens the metrics outputs of an oracle run: reads the file a previous run wrote (its totals and last times carry
 * over) and starts the endpoint.
 * @example const out = await openMetricsOutput({ oracle: "usage", file: "/var/lib/node_exporter/dsx-usage.prom" });
 * out.record("success", usageRunFigures(summary)); await out.close();
 */
export async function openMetricsOutput(options: MetricsOutputOptions): Promise<MetricsOutput> {
  const metrics = new OracleMetrics(options.oracle);
  if (options.file !== undefined && existsSync(options.file)) metrics.carryOver(readFileSync(options.file, "utf8"));
  let server: Server | undefined;
  let url: string | undefined;
  if (options.port !== undefined) {
    const processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
    const served = Registry.merge([metrics.registry, processMetrics]);
    ({ server, url } = await serveMetrics(served, options.port, options.host ?? "127.0.0.1"));
  }
  return {
    metrics,
    url,
    async record(result, figures) {
      metrics.record(result, figures);
      if (options.file !== undefined) writeFileAtomic(options.file, await metrics.registry.metrics());
    },
    async close() {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    },
  };
}

/** Serves `registry` at GET /metrics (404 elsewhere, 405 for other methods) on `host:port`. */
function serveMetrics(registry: Registry, port: number, host: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("Not found: the metrics are at GET /metrics.\n");
    } else if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "Content-Type": "text/plain", Allow: "GET, HEAD" }).end("Method not allowed: GET /metrics.\n");
    } else {
      registry.metrics().then(
        (text) => res.writeHead(200, { "Content-Type": registry.contentType, "Cache-Control": "no-store" }).end(req.method === "HEAD" ? undefined : text),
        (err: unknown) => res.writeHead(500, { "Content-Type": "text/plain" }).end(`metrics failed: ${String(err)}\n`),
      );
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new DsxError(`The metrics endpoint could not listen on ${host}:${port}: ${err.code ?? err.message}.`, {
          fix: "Pick a free port with --metrics-port (0: any), or an address of this machine with --metrics-host.",
        }),
      ),
    );
    server.listen(port, host, () => {
      server.removeAllListeners("error");
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      resolve({ server, url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics` });
    });
  });
}
