// A V8 CPU profile of this process, for the benches' BENCH_PROFILE=<dir> (open the file in Chrome DevTools).
import fs from "node:fs";
import { Session } from "node:inspector/promises";
import path from "node:path";

/**
 * Starts profiling this process; the returned function stops and writes `<dir>/<name>.cpuprofile`.
 * @example const stop = await startCpuProfile(); await work(); await stop("/tmp/prof", "index-pglite");
 */
export async function startCpuProfile(): Promise<(dir: string, name: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return async (dir, name) => {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
  };
}
