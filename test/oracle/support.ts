// Shared by the oracle tests: fixture paths and the usage config the fixtures are written for.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { UsageSourceConfig } from "../../oracle/sources/usage";

/** Absolute path of a file under test/fixtures. */
export function fixturePath(...parts: string[]): string {
  return join(__dirname, "..", "fixtures", ...parts);
}

/** Text of a file under test/fixtures. */
export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), "utf8");
}

/** The partner config of the Sydney cluster in test/fixtures/slurm and test/fixtures/metering. */
export const sydneyConfig: UsageSourceConfig = {
  accounts: { "startup-a": 1n, "startup-b": 2n, "startup-c": 3n },
  skuMap: { h100: "h100-sxm", b200: "b200", gb300: "gb300" },
  partitionSkus: { "gpu-h100": "h100-sxm", "gpu-b200": "b200" },
  timezone: "Australia/Sydney",
};

/** Unix seconds of an ISO 8601 time with a zone (test shorthand). */
export function at(iso: string): bigint {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms) || !/(Z|[+-]\d\d:\d\d)$/.test(iso)) throw new Error(`bad test time ${iso}`);
  return BigInt(ms / 1000);
}
