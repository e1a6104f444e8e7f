// Deterministic randomness of the sample data: one seeded stream per file (scripts/gen-sample-data.ts).
import { mulberry32 } from "../lib/prng";

/** The seed of every random stream (each file draws from its own stream named after it). */
export const SEED = "dsx-demo-2026";

/** mulberry32 over a FNV-1a hash of `SEED/name`: a stream per file, so one file's change leaves the others as they are. */
export class Rng {
  /** A uniform 32-bit unsigned integer. */
  readonly next: () => number;
  constructor(name: string) {
    let h = 0x811c9dc5;
    for (const c of `${SEED}/${name}`) {
      h ^= c.charCodeAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    this.next = mulberry32(h);
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor((this.next() / 2 ** 32) * (hi - lo + 1));
  }
  /** True with probability `perMille` / 1000. */
  chance(perMille: number): boolean {
    return this.int(0, 999) < perMille;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)];
  }
  /** An item by integer weights. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.int(0, total - 1);
    for (const [item, w] of items) {
      if (r < w) return item;
      r -= w;
    }
    return items[items.length - 1][0];
  }
  /** `n` characters of [0-9A-Za-z]. */
  base62(n: number): string {
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(0, 61)];
    return s;
  }
}
