// What the usage adapters share: the config they resolve accounts and skus with, the checks
// every usage record passes, and the record they emit (SERVICES §2).
import { maxUint256 } from "viem";
import { ConfigError } from "../../sdk/errors";
import { skuToBytes32 } from "../../sdk/eip712";
import { TimeZoneClock } from "./time";
import type { QuarantineEntry, QuarantineReason, SourceRef } from "./types";

/** One GPU-year: 365 days × 86 400 s. */
export const GPU_YEAR_SECONDS = 31_536_000n;

/** The parts of the usage oracle's config that the adapters read. */
export interface UsageSourceConfig {
  /** Account name (Slurm `Account`, metering `account`) → agreement id. */
  accounts: Readonly<Record<string, bigint>>;
  /** GPU type name (Slurm `gres/gpu:<type>`, metering `sku`) → sku. */
  skuMap: Readonly<Record<string, string>>;
  /** Slurm partition → sku of its GPUs, for allocations that only say `gres/gpu=N`. */
  partitionSkus?: Readonly<Record<string, string>>;
  /** IANA zone of sacct's zone-less times. Default "UTC". */
  timezone?: string;
  /** A record above this many GPU-seconds is quarantined `too-large`. Default 1 GPU-year. */
  maxRecordGpuSeconds?: bigint;
  /**
   * What to do with a usage row of an account that is not in `accounts` (other customers of a
   * shared cluster): "quarantine" (default, SERVICES §2) or "ignore" (counted as ignored).
   */
  otherAccounts?: "quarantine" | "ignore";
}

/** A usage record ready for slicing: times in unix seconds, GPU-seconds exact. */
export interface UsageRecord {
  recordId: string;
  account: string;
  agreementId: bigint;
  sku: string;
  /** Inclusive start, unix seconds. */
  start: bigint;
  /** Exclusive end, unix seconds. */
  end: bigint;
  gpus: bigint;
  /** ≤ gpus × (end − start); equal to it for Slurm. */
  gpuSeconds: bigint;
  source: SourceRef;
}

/** A quarantined usage row or slice, with what it would bill when its fields could be read. */
export interface UsageQuarantineEntry extends QuarantineEntry {
  /** Shown by the quarantine review and billed once an operator accepts the row. */
  candidate?: UsageCandidate;
}

/**
 * What a quarantined usage row (or slice) says, as far as it could be read: numbers as decimal
 * strings, times in unix seconds. `sku` is set when the row names one the config knows;
 * `gpuTypes` are the names it gives otherwise. An operator may accept the row and say what it
 * is (SERVICES §2 "Quarantine review"; oracle/usage/review.ts).
 */
export interface UsageCandidate {
  /** The adapter that read it, or `slice` for usage quarantined after it was sliced (planning). */
  source: "slurm" | "metering" | "slice";
  /** Slurm: the job; its watermark decides what is billed. */
  cluster?: string;
  jobId?: string;
  /** Metering and slices: the recordId. */
  recordId?: string;
  account?: string;
  /** Slices: the agreement it was billed to. */
  agreementId?: string;
  sku?: string;
  gpuTypes?: string[];
  start: string;
  end: string;
  gpus?: string;
  gpuSeconds: string;
}

/** {@link UsageSourceConfig} checked and indexed. Build it with {@link compileUsageConfig}. */
export interface UsageSourceSettings {
  accounts: ReadonlyMap<string, bigint>;
  skuMap: ReadonlyMap<string, string>;
  partitionSkus: ReadonlyMap<string, string>;
  /** Every sku the config names (the values of skuMap and partitionSkus). */
  knownSkus: ReadonlySet<string>;
  clock: TimeZoneClock;
  maxRecordGpuSeconds: bigint;
  otherAccounts: "quarantine" | "ignore";
}

function checkSku(setting: string, sku: string): string {
  try {
    skuToBytes32(sku);
  } catch (cause) {
    throw new ConfigError(setting, `${setting} = ${JSON.stringify(sku)} is not a valid sku.`, {
      fix: 'Use 1 to 31 lower-case letters, digits, ".", "_" or "-", e.g. "h100-sxm".',
      cause,
    });
  }
  return sku;
}

/**
 * Checks the adapters' config and indexes it. Throws {@link ConfigError} naming the setting
 * (`accounts.<name>`, `skuMap.<type>`, `partitionSkus.<partition>`, `timezone`,
 * `maxRecordGpuSeconds`).
 */
export function compileUsageConfig(config: UsageSourceConfig): UsageSourceSettings {
  const accounts = new Map<string, bigint>();
  for (const [name, id] of Object.entries(config.accounts)) {
    if (typeof id !== "bigint" || id < 0n || id > maxUint256) {
      throw new ConfigError(`accounts.${name}`, `accounts.${name} = ${String(id)} is not an agreement id.`, {
        fix: "Give the agreement's numeric id as a whole number.",
      });
    }
    accounts.set(name, id);
  }
  const skuMap = new Map(Object.entries(config.skuMap).map(([type, sku]) => [type, checkSku(`skuMap.${type}`, sku)]));
  const partitionSkus = new Map(
    Object.entries(config.partitionSkus ?? {}).map(([partition, sku]) => [partition, checkSku(`partitionSkus.${partition}`, sku)]),
  );
  const maxRecordGpuSeconds = config.maxRecordGpuSeconds ?? GPU_YEAR_SECONDS;
  if (typeof maxRecordGpuSeconds !== "bigint" || maxRecordGpuSeconds <= 0n) {
    throw new ConfigError("maxRecordGpuSeconds", "maxRecordGpuSeconds must be a positive whole number.", {
      fix: `Leave it out for the default of 1 GPU-year (${GPU_YEAR_SECONDS}).`,
    });
  }
  return {
    accounts,
    skuMap,
    partitionSkus,
    knownSkus: new Set([...skuMap.values(), ...partitionSkus.values()]),
    clock: new TimeZoneClock(config.timezone ?? "UTC"),
    maxRecordGpuSeconds,
    otherAccounts: config.otherAccounts ?? "quarantine",
  };
}

/** The settings as given, or compiled from a config with {@link compileUsageConfig}. */
export function usageSettings(config: UsageSourceConfig | UsageSourceSettings): UsageSourceSettings {
  return "clock" in config && config.clock instanceof TimeZoneClock ? config : compileUsageConfig(config as UsageSourceConfig);
}

/** A failed check: the quarantine reason and its one-sentence detail. */
export interface Refusal {
  reason: QuarantineReason;
  detail: string;
}

/**
 * The checks every usage record passes, in this order: ends before it starts →
 * `end-before-start`; more than `maxRecordGpuSeconds` → `too-large`. Returns undefined when
 * the record is fine.
 */
export function checkUsageBounds(settings: UsageSourceSettings, start: bigint, end: bigint, gpuSeconds: bigint): Refusal | undefined {
  if (end < start) {
    return { reason: "end-before-start", detail: `ends ${start - end} s before it starts` };
  }
  if (gpuSeconds > settings.maxRecordGpuSeconds) {
    return {
      reason: "too-large",
      detail: `${gpuSeconds} GPU-seconds in one record is above the limit of ${settings.maxRecordGpuSeconds} (maxRecordGpuSeconds)`,
    };
  }
  return undefined;
}
