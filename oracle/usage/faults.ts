// Fault injection for the crash-safety tests: with DSX_USAGE_FAULT=<point>[:<n>] in the
// environment, the process kills itself (SIGKILL, no cleanup) the n-th time (default 1st) it
// reaches that point. Without the variable this does nothing.

/** The named points where a crash is most interesting. */
export type FaultPoint = "after-resume" | "after-ingest-chunk" | "after-plan" | "after-persist" | "after-send" | "after-confirm";

const seen = new Map<string, number>();

/** Kills the process here when DSX_USAGE_FAULT names this point (and this is its n-th visit). */
export function faultPoint(point: FaultPoint): void {
  const spec = process.env.DSX_USAGE_FAULT;
  if (!spec) return;
  const [name, nth] = spec.split(":");
  if (name !== point) return;
  const count = (seen.get(point) ?? 0) + 1;
  seen.set(point, count);
  if (count >= Number(nth ?? "1")) process.kill(process.pid, "SIGKILL");
}
