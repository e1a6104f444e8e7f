// TypeScript mirror of contracts/libraries/ShareMath.sol (PROTOCOL §2, §6, §7, §8).
// Both run test/vectors/share-math.json. Every division rounds down; like the Solidity
// library, inputs are uint256 and an overflow or a division by zero throws instead of reverting.
import { maxUint256 } from "viem";
import { ValidationError } from "./errors";

/** 10 000 basis points = 100 %. */
export const BPS = 10_000n;

/** Seconds in the GPU-hour that rates are quoted in. */
export const SECONDS_PER_HOUR = 3600n;

function uint256(fn: string, name: string, value: bigint): bigint {
  if (typeof value !== "bigint" || value < 0n || value > maxUint256) {
    throw new ValidationError(`ShareMath.${fn}: ${name} = ${String(value)} is not a uint256.`, {
      fix: "Pass a bigint between 0 and 2^256 - 1.",
    });
  }
  return value;
}

function checkedResult(fn: string, value: bigint): bigint {
  if (value > maxUint256) {
    throw new ValidationError(`ShareMath.${fn}: the result overflows uint256 (the contract reverts).`, {
      fix: "Use smaller inputs.",
    });
  }
  return value;
}

/** OpenZeppelin `Math.mulDiv`: x × y / d rounded down, exact for any uint256 inputs. */
function mulDiv(fn: string, x: bigint, y: bigint, d: bigint): bigint {
  if (d === 0n) {
    throw new ValidationError(`ShareMath.${fn}: division by zero (the contract reverts).`, {
      fix: "Pass a non-zero divisor.",
    });
  }
  return checkedResult(fn, (x * y) / d);
}

/**
 * Credits burned for `gpuSeconds` at `creditsPerGpuHour` (base units per GPU-hour).
 * @example credits(2_880_000n, 2_500_000n); // 2_000_000_000n (2 000 DSXC)
 */
export function credits(gpuSeconds: bigint, creditsPerGpuHour: bigint): bigint {
  return mulDiv(
    "credits",
    uint256("credits", "gpuSeconds", gpuSeconds),
    uint256("credits", "creditsPerGpuHour", creditsPerGpuHour),
    SECONDS_PER_HOUR,
  );
}

/**
 * `amount` × `bps` / 10 000, rounded down.
 * @example applyBps(20_000_000_000n, 800n); // 1_600_000_000n
 */
export function applyBps(amount: bigint, bps: bigint): bigint {
  return mulDiv("applyBps", uint256("applyBps", "amount", amount), uint256("applyBps", "bps", bps), BPS);
}

/**
 * An agreement's cap: `consumed` × `capMultipleBps` / 10 000.
 * @example cap(3_000_000_000n, 15_000n); // 4_500_000_000n
 */
export function cap(consumed: bigint, capMultipleBps: bigint): bigint {
  return applyBps(consumed, capMultipleBps);
}

/**
 * What a finalized period adds to the obligation: its revenue share, limited by the cap's headroom.
 * @returns min(applyBps(revenue, revenueShareBps), cap > obligation ? cap − obligation : 0)
 */
export function owed(revenue: bigint, revenueShareBps: bigint, cap: bigint, obligation: bigint): bigint {
  const share = applyBps(revenue, revenueShareBps);
  const headroom = uint256("owed", "cap", cap) > uint256("owed", "obligation", obligation) ? cap - obligation : 0n;
  return share < headroom ? share : headroom;
}

/** A period's due date: max(periodEnd, finalizedAt) + gracePeriod (unix seconds). */
export function due(periodEnd: bigint, finalizedAt: bigint, gracePeriod: bigint): bigint {
  const later = uint256("due", "periodEnd", periodEnd) > uint256("due", "finalizedAt", finalizedAt) ? periodEnd : finalizedAt;
  return checkedResult("due", later + uint256("due", "gracePeriod", gracePeriod));
}

/**
 * The partners' part of an applied payment: 0 when nothing is owed to them, else
 * min(applyBps(amount, partnerFirstBps), stillOwed).
 */
export function toPartners(amount: bigint, partnerFirstBps: bigint, stillOwed: bigint): bigint {
  if (uint256("toPartners", "stillOwed", stillOwed) === 0n) return 0n;
  const firstCut = applyBps(amount, partnerFirstBps);
  return firstCut < stillOwed ? firstCut : stillOwed;
}

/** One partner's pro-rata part of `partnersTotal`: partnersTotal × owedToPartner / stillOwed. */
export function partnerPart(partnersTotal: bigint, owedToPartner: bigint, stillOwed: bigint): bigint {
  return mulDiv(
    "partnerPart",
    uint256("partnerPart", "partnersTotal", partnersTotal),
    uint256("partnerPart", "owedToPartner", owedToPartner),
    uint256("partnerPart", "stillOwed", stillOwed),
  );
}

/** The split of one applied payment (PROTOCOL §8). */
export interface Split {
  /** Σ perPartner: what the partners actually receive (≤ the capped first cut; dust stays out). */
  toPartners: bigint;
  /** Each partner's amount, in the order of `owedPerPartner`. */
  perPartner: bigint[];
  /** amount − toPartners, dust included. */
  toProgram: bigint;
}

/**
 * Splits an applied payment between partners (pro rata to what each is still owed, i.e.
 * receivable − paidToPartner) and the program, which takes the rounding dust.
 *
 * @example
 * split(1_000_000_000n, 6_000n, [1_400_000_000n, 800_000_000n]);
 * // { toPartners: 599_999_999n, perPartner: [381_818_181n, 218_181_818n], toProgram: 400_000_001n }
 */
export function split(amount: bigint, partnerFirstBps: bigint, owedPerPartner: readonly bigint[]): Split {
  const stillOwed = checkedResult(
    "split",
    owedPerPartner.reduce((sum, owedToPartner, i) => sum + uint256("split", `owedPerPartner[${i}]`, owedToPartner), 0n),
  );
  const total = toPartners(amount, partnerFirstBps, stillOwed);
  const perPartner = owedPerPartner.map((owedToPartner) =>
    stillOwed === 0n ? 0n : partnerPart(total, owedToPartner, stillOwed),
  );
  const given = perPartner.reduce((sum, part) => sum + part, 0n);
  return { toPartners: given, perPartner, toProgram: amount - given };
}
