// The demo's oracles: one usage oracle per cloud partner and the program's revenue oracle, each with a
// config file in the demo's data folder (so they can be run again by hand, see docs/demo.md) and an inbox
// the sample files are copied into as the story's clock passes their arrival times.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { loadRevenueConfig } from "../oracle/revenue/config";
import { closeRevenueContext, openRevenueContext, type RevenueContext } from "../oracle/revenue/context";
import { loadUsageConfig } from "../oracle/usage/config";
import { openUsageRuntime, type UsageRuntime } from "../oracle/usage/run";
import type { Deployment } from "../sdk/deployment";
import type { AgreementIds, Cast } from "./cast";
import { ROLES } from "./program";

/** Folders of the demo's data folder. */
export function demoPaths(dataDir: string) {
  return {
    dataDir,
    inbox: join(dataDir, "inbox"),
    oracles: join(dataDir, "oracles"),
    evidence: join(dataDir, "evidence", "usage"),
    revenueEvidence: join(dataDir, "evidence", "revenue"),
    audit: join(dataDir, "audit"),
    index: join(dataDir, "index"),
    logs: join(dataDir, "logs"),
    state: join(dataDir, "demo-state.json"),
  };
}

export type DemoPaths = ReturnType<typeof demoPaths>;

/** The usage oracles by partner key and the revenue oracle, open. */
export interface DemoOracles {
  usage: Map<string, UsageRuntime>;
  revenue: RevenueContext;
  close(): void;
}

/** Environment variable names of the revenue oracle's keys in the demo's config. */
const revenueKeyEnv = (i: number) => `DSX_DEMO_REVENUE_KEY_${i}`;

/**
 * Writes the oracles' config files and opens them. Settings come only from the files: the shell's DSX_*
 * variables (which would override them) are not read.
 */
export async function openOracles(
  paths: DemoPaths,
  rpcUrl: string,
  deployment: Deployment,
  deploymentsDir: string,
  cast: Cast,
  ids: AgreementIds,
  log: (line: string) => void,
): Promise<DemoOracles> {
  const usage = new Map<string, UsageRuntime>();
  // the keys reach each oracle through its own environment (privateKeyEnv), never the shell's or the file
  const usageEnv: Record<string, string> = {};
  for (const { spec, wallet } of cast.partners.values()) {
    const inbox = join(paths.inbox, "usage", spec.key);
    mkdirSync(inbox, { recursive: true });
    const accounts: Record<string, string> = {};
    for (const s of cast.startups.values()) {
      const a = s.spec.partners[spec.key];
      if (a) accounts[a.account] = ids.get(s.spec.key)!.toString();
    }
    const signerEnv = (i: number) => `DSX_DEMO_USAGE_KEY_${spec.key.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_${i}`;
    spec.localSigners.forEach((i, n) => (usageEnv[signerEnv(n)] = cast.keys[i]));
    const config = {
      rpcUrl,
      chainId: deployment.chainId,
      deploymentsDir,
      partner: wallet.address,
      stateDir: join(paths.oracles, spec.key),
      evidenceDir: paths.evidence,
      inputs: [inbox],
      accounts,
      skuMap: spec.skuMap,
      partitionSkus: spec.partitionSkus,
      timezone: spec.timezone,
      // chosen deliberately (docs/usage-oracle.md "Window size and gas"): daily windows, one batch per partner and
      // day, keep the story to about a hundred batches instead of one per hour with usage; the GPU bound is checked per day
      windowSeconds: 86_400,
      lagSeconds: 900,
      signers: spec.localSigners.map((_, n) => ({ privateKeyEnv: signerEnv(n) })),
    };
    const file = join(paths.oracles, `usage-${spec.key}.json`);
    mkdirSync(paths.oracles, { recursive: true });
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    usage.set(spec.key, await openUsageRuntime(loadUsageConfig(file, usageEnv), (line) => log(`  ${spec.name} usage oracle: ${line}`)));
  }

  // the revenue keys reach the oracle through its own environment, never the shell's
  const revenueEnv: Record<string, string> = {};
  const localRevenueSigners = ROLES.revenueSigners.slice(0, ROLES.revenueThreshold);
  localRevenueSigners.forEach((i, n) => (revenueEnv[revenueKeyEnv(n)] = cast.keys[i]));
  const agreements = [...cast.startups.values()].map(({ spec }) => {
    const inbox = join(paths.inbox, "stripe", spec.key);
    mkdirSync(inbox, { recursive: true });
    return { id: Number(ids.get(spec.key)!), base: spec.base, stripe: [inbox] };
  });
  const revenueConfig = {
    rpcUrl,
    chainId: deployment.chainId,
    deploymentsDir,
    // non-USD rows (Tessellate's EUR charge) convert at the reference rate of their UTC date
    fxRates: join(process.env.DSX_DEMO_SAMPLE_DIR ?? join(__dirname, "..", "data", "sample"), "fx-rates.csv"),
    stateDir: join(paths.oracles, "revenue"),
    evidenceDir: paths.revenueEvidence,
    signers: localRevenueSigners.map((_, n) => ({ privateKeyEnv: revenueKeyEnv(n) })),
    agreements,
  };
  const revenueFile = join(paths.oracles, "revenue.json");
  writeFileSync(revenueFile, `${JSON.stringify(revenueConfig, null, 2)}\n`);
  const revenue = await openRevenueContext(loadRevenueConfig(revenueFile, revenueEnv), {
    environment: revenueEnv,
    // the story prints every report and finalization itself; the oracle's other lines (holds, retries) are news
    log: (line) => {
      if (!/ reported \(| finalized in /.test(line)) log(`  revenue oracle: ${line}`);
    },
  });
  return {
    usage,
    revenue,
    close() {
      for (const rt of usage.values()) rt.state.close();
      closeRevenueContext(revenue);
    },
  };
}

/** Copies a sample file into its inbox (usage/<partner>/ or stripe/<startup>/); returns its name. */
export function deliver(sampleDir: string, paths: DemoPaths, relativePath: string): string {
  const [kind, owner] = relativePath.split("/");
  const target = join(paths.inbox, kind === "usage" ? "usage" : "stripe", owner);
  mkdirSync(target, { recursive: true });
  const to = join(target, basename(relativePath));
  if (!existsSync(to)) copyFileSync(join(sampleDir, relativePath), to);
  return basename(relativePath);
}
