// CPU time by process group, from /proc (Linux), for benches that need to know which process did the work: this
// one, a child process tree (the Hardhat node), the database server's processes. Elsewhere it reports nothing.
import fs from "node:fs";

/** clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux everywhere in practice). */
const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** user + system time so far, in ms */
  cpuMs: number;
}

function readStat(pid: string): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // gone meanwhile
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after its last ")"
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  return {
    pid: Number(pid),
    ppid: Number(fields[1]),
    comm: text.slice(text.indexOf("(") + 1, close),
    cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND,
  };
}

/** Every process's stat now (empty where there is no /proc). */
function snapshot(): ProcStat[] {
  let pids: string[];
  try {
    pids = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  return pids.map(readStat).filter((s): s is ProcStat => s !== undefined);
}

/** The groups a {@link CpuMeter} reports: a name and which processes belong to it. */
export interface CpuGroups {
  [name: string]: { pid: number } | { root: number } | { comm: string };
}

/**
 * Measures the CPU time each group used between {@link start} and {@link stop}: one process, a process tree by its root pid, or
 * every process of a command name (the PostgreSQL server's). Processes that appear meanwhile count in full; those that
 * end meanwhile are lost (a bench keeps its processes running while it measures).
 */
export class CpuMeter {
  private before = new Map<number, number>();

  constructor(private readonly groups: CpuGroups) {}

  start(): void {
    this.before = new Map(snapshot().map((s) => [s.pid, s.cpuMs]));
  }

  /** CPU ms per group since {@link start}. */
  stop(): Record<string, number> {
    const now = snapshot();
    const children = new Map<number, number[]>();
    for (const s of now) {
      const siblings = children.get(s.ppid);
      if (siblings) siblings.push(s.pid);
      else children.set(s.ppid, [s.pid]);
    }
    const delta = new Map(now.map((s) => [s.pid, s.cpuMs - (this.before.get(s.pid) ?? 0)]));
    const out: Record<string, number> = {};
    for (const [name, group] of Object.entries(this.groups)) {
      let pids: number[];
      if ("pid" in group) {
        pids = [group.pid];
      } else if ("root" in group) {
        pids = [];
        for (const queue = [group.root]; queue.length > 0; ) {
          const pid = queue.pop()!;
          pids.push(pid);
          queue.push(...(children.get(pid) ?? []));
        }
      } else {
        pids = now.filter((s) => s.comm === group.comm).map((s) => s.pid);
      }
      out[name] = pids.reduce((sum, pid) => sum + (delta.get(pid) ?? 0), 0);
    }
    return out;
  }
}
