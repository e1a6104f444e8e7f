// Answers are a function of (URL, indexed block): while the checkpoint stays, the same request gives the
// same bytes. The cache keeps the latest checkpoint (re-read at most every `ttlMs`, and at once when an indexer
// in this process commits: `invalidate`) and the answers given at it, keyed by the block hash (so a reorg never
// serves an answer of a dropped block) and `final`; every entry goes when the checkpoint moves. Each answer
// carries the `meta` of the block it was computed at, so a cached answer is exact for the block it names.
import type { Selectable } from "kysely";
import type { IndexerStateTable } from "../db/schema";
import { metaOf, readState, type Meta, type ReadDb } from "../services/snapshot";

export interface CachedSnapshot {
  meta: Meta;
  state: Selectable<IndexerStateTable> | undefined;
  readAt: number;
}

/** Lookups of every response cache in this process since it started (the bench's hit rate; metrics). */
export const responseCacheStats = { hits: 0, misses: 0 };

export class ResponseCache {
  private snapshot?: CachedSnapshot;
  private refreshing?: Promise<CachedSnapshot>;
  private readonly entries = new Map<string, string>();
  private bytes = 0;
  private generation = 0;

  constructor(
    private readonly db: ReadDb,
    private readonly chainId: number,
    private readonly ttlMs: number,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** The latest checkpoint, at most `ttlMs` old (or fresh when `force`). */
  async current(force = false): Promise<CachedSnapshot> {
    const snap = this.snapshot;
    if (!force && snap && Date.now() - snap.readAt < this.ttlMs) return snap;
    const generation = this.generation;
    this.refreshing ??= readState(this.db)
      .then((state) => {
        // invalidated while reading: this state may predate the new checkpoint, so it is re-read next time
        const next = { meta: metaOf(state, this.chainId), state, readAt: generation === this.generation ? Date.now() : -Infinity };
        if (next.meta.blockHash !== this.snapshot?.meta.blockHash) this.clear();
        this.snapshot = next;
        return next;
      })
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** A new checkpoint was committed: the next request re-reads it (entries of the old block are then dropped). */
  invalidate(): void {
    this.generation += 1;
    if (this.snapshot) this.snapshot = { ...this.snapshot, readAt: -Infinity };
  }

  private key(meta: Meta, url: string): string | undefined {
    return meta.blockHash ? `${meta.blockHash}|${meta.final ? 1 : 0}|${url}` : undefined;
  }

  get(meta: Meta, url: string): string | undefined {
    const key = this.key(meta, url);
    const hit = key === undefined ? undefined : this.entries.get(key);
    if (hit === undefined) responseCacheStats.misses += 1;
    else responseCacheStats.hits += 1;
    return hit;
  }

  set(meta: Meta, url: string, body: string): void {
    const key = this.key(meta, url);
    if (key === undefined || !this.enabled || body.length > this.maxBytes / 16) return;
    // only answers of the newest known block are worth keeping
    if (this.snapshot && meta.blockHash !== this.snapshot.meta.blockHash) return;
    if (this.bytes + body.length > this.maxBytes) this.clear();
    this.entries.set(key, body);
    this.bytes += body.length;
  }

  /** Drops every cached answer (app.ts: a dispute reason stored changes answers at the same block). */ clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
