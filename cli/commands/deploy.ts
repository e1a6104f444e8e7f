// `dsx deploy`: deploys the ledger to any JSON-RPC endpoint with scripts/deploy.ts (its libraries, the ledger,
// its DSXCredit, a MockUSDC on local chains only, the roles) and writes <chainId>.json. Hardhat runs in this
// process on its `remote` network, fed with the RPC URL and the key from the keystore (SERVICES §1).
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command } from "commander";
import { Wallet } from "ethers";
import { createChainClients } from "../../sdk/chain";
import { ConfigError, ValidationError, whenText } from "../../sdk/errors";
import { DEFAULT_PASSWORD_ENV, loadAccount } from "../../sdk/keys";
import { nodeChainIdOf, readAdmin } from "../../sdk";
import { commandOf, leaf } from "../command";
import { emit, type Io } from "../io";
import { chainIdOption, globals, parseAddress, parseDuration } from "../options";

const ROOT = join(__dirname, "..", "..");
/** Chains on which scripts/deploy.ts deploys a MockUSDC and defaults the roles to the deployer. */
const LOCAL_CHAINS = new Set([31337, 1337]);

interface DeployOptions {
  settlementToken?: string;
  treasury?: string;
  admin?: string;
  program?: string;
  auditor?: string;
  pauser?: string;
  disputeWindow?: string;
  rateNotice?: string;
  authNotice?: string;
  reportingGrace?: string;
  signerNotice?: string;
  migrationNotice?: string;
  payoutNotice?: string;
  adminDelay?: string;
  out?: string;
  compile: boolean;
}

/** The deployer's raw key for Hardhat's network config: a keystore (any chain) or a raw key (chain 31337 only). */
async function deployerKey(chainId: number, g: { keystore?: string; passwordEnv?: string; privateKey?: string }): Promise<string> {
  if (g.privateKey !== undefined || g.keystore === undefined) {
    // validates the key, refuses a raw key off the local chain, and refuses no key at all
    await loadAccount({ chainId, keystore: g.keystore, privateKey: g.privateKey, passwordEnv: g.passwordEnv });
    return g.privateKey!;
  }
  const passwordEnv = g.passwordEnv ?? DEFAULT_PASSWORD_ENV;
  const password = process.env[passwordEnv];
  if (!password) throw new ConfigError(passwordEnv, `Environment variable ${passwordEnv} (the keystore password) is not set.`, { fix: `Set ${passwordEnv} to the password of ${g.keystore}.` });
  let json: string;
  try {
    json = readFileSync(g.keystore, "utf8");
  } catch (cause) {
    throw new ConfigError("keystore", `Keystore file ${g.keystore} cannot be read.`, { fix: "Check the keystore path and its permissions.", cause });
  }
  try {
    return (await Wallet.fromEncryptedJson(json, password)).privateKey;
  } catch (cause) {
    throw new ConfigError("keystore", `Keystore ${g.keystore} cannot be decrypted: wrong password or not a keystore file.`, {
      fix: `Check ${passwordEnv} and that the file was written by Wallet.encrypt.`,
      cause,
    });
  }
}

export function deployCommand(io: Io, root: Command): void {
  leaf(
    root,
    "deploy",
    "deploy the ledger (libraries, ledger, DSXCredit; a MockUSDC on local chains) and write <chainId>.json",
    [
      "dsx deploy --private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80   # local hardhat node",
      "DSX_KEYSTORE_PASSWORD=… dsx deploy --rpc-url https://sepolia.example/rpc --keystore deployer.json \\\n" +
        "      --settlement-token 0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238 --treasury 0x… --program 0x… --auditor 0x… --pauser 0x…",
    ],
    "On a chain other than 31337/1337 the settlement token, treasury and role holders are required, and the key\n" +
      "must come from an encrypted keystore. The deployment file goes to --out (default: the --deployment folder,\n" +
      "else ./deployments). Hardhat compiles first unless --no-compile. The ledger refuses constants out of range\n" +
      "(DISPUTE_WINDOW 1h..30d, every notice 1h..90d, the admin delay 1d..90d). With --admin, the deployer keeps\n" +
      "the admin role until that address accepts it (dsx admin accept) once the admin delay has passed.",
  )
    .option("--settlement-token <address>", "the 6-decimal settlement token (default on local chains: a new MockUSDC)")
    .option("--treasury <address>", "the program's treasury (default on local chains: the deployer)")
    .option("--admin <address>", "DEFAULT_ADMIN_ROLE holder (default: the deployer; another address accepts the transfer with dsx admin accept after --admin-delay)")
    .option("--program <address>", "PROGRAM_ROLE holder (default on local chains: the deployer)")
    .option("--auditor <address>", "AUDITOR_ROLE holder (default on local chains: the deployer)")
    .option("--pauser <address>", "PAUSER_ROLE holder (default on local chains: the deployer)")
    .option("--dispute-window <duration>", "DISPUTE_WINDOW (default 3d)")
    .option("--rate-notice <duration>", "RATE_NOTICE (default 7d)")
    .option("--auth-notice <duration>", "AUTH_NOTICE (default 7d)")
    .option("--reporting-grace <duration>", "REPORTING_GRACE (default 7d)")
    .option("--signer-notice <duration>", "SIGNER_NOTICE: notice of a signer set the program proposes (default 2d)")
    .option("--migration-notice <duration>", "MIGRATION_NOTICE: notice of a wallet migration the program proposes (default 7d)")
    .option("--payout-notice <duration>", "PAYOUT_NOTICE: notice of a payout address the program proposes (default 7d)")
    .option("--admin-delay <duration>", "delay of a DEFAULT_ADMIN_ROLE transfer, 1d..90d (default 1d)")
    .option("--out <dir>", "folder to write <chainId>.json to")
    .option("--no-compile", "use the existing artifacts")
    .action(async (...args: unknown[]) => {
      const cmd = commandOf(args);
      const o = cmd.opts<DeployOptions>();
      const g = globals(cmd);
      const env: Record<string, string> = {};
      const addresses: [keyof DeployOptions, string, string][] = [
        ["settlementToken", "SETTLEMENT_TOKEN", "--settlement-token"],
        ["treasury", "TREASURY", "--treasury"],
        ["admin", "ADMIN", "--admin"],
        ["program", "PROGRAM", "--program"],
        ["auditor", "AUDITOR", "--auditor"],
        ["pauser", "PAUSER", "--pauser"],
      ];
      for (const [key, name, flag] of addresses) if (o[key] !== undefined) env[name] = parseAddress(o[key] as string, flag);
      const durations: [keyof DeployOptions, string, string][] = [
        ["disputeWindow", "DISPUTE_WINDOW", "--dispute-window"],
        ["rateNotice", "RATE_NOTICE", "--rate-notice"],
        ["authNotice", "AUTH_NOTICE", "--auth-notice"],
        ["reportingGrace", "REPORTING_GRACE", "--reporting-grace"],
        ["signerNotice", "SIGNER_NOTICE", "--signer-notice"],
        ["migrationNotice", "MIGRATION_NOTICE", "--migration-notice"],
        ["payoutNotice", "PAYOUT_NOTICE", "--payout-notice"],
        ["adminDelay", "ADMIN_DELAY", "--admin-delay"],
      ];
      for (const [key, name, flag] of durations) if (o[key] !== undefined) env[name] = String(parseDuration(o[key] as string, flag));

      const chainId = await nodeChainIdOf(g.rpcUrl);
      const expected = chainIdOption(g.chainId);
      if (expected !== undefined && expected !== chainId) {
        throw new ConfigError("chainId", `The node at ${g.rpcUrl} is chain ${chainId}, not ${expected}.`, { fix: "Pass the right --chain-id or --rpc-url." });
      }
      if (!LOCAL_CHAINS.has(chainId)) {
        const missing = addresses.filter(([key, name]) => key !== "admin" && env[name] === undefined && !process.env[name]).map(([, , flag]) => flag);
        if (missing.length > 0) {
          throw new ValidationError(`Chain ${chainId} is not a local chain: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} required.`, {
            fix: "Give the real settlement token and the addresses that should hold the treasury and each role.",
          });
        }
      }
      const key = await deployerKey(chainId, g);
      const out = resolve(o.out ?? (g.deployment.endsWith(".json") ? dirname(g.deployment) : g.deployment));

      if (require.cache[require.resolve("hardhat")] !== undefined) {
        throw new ValidationError("dsx deploy can run once per process (Hardhat is already loaded).", { fix: "Run it as its own command." });
      }
      Object.assign(process.env, env, {
        HARDHAT_CONFIG: join(ROOT, "hardhat.config.ts"),
        HARDHAT_NETWORK: "remote",
        REMOTE_RPC_URL: g.rpcUrl,
        DEPLOYER_PRIVATE_KEY: key,
        DSX_DEPLOYMENTS_DIR: out,
      });
      // Hardhat reads the network config when it loads; the key then lives only in its memory
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- hardhat must load after the environment is set
      const hre = require("hardhat") as typeof import("hardhat");
      delete process.env.DEPLOYER_PRIVATE_KEY;
      const log = console.log;
      // deploy.ts reports its result (and a started admin transfer) on console.log: this command prints
      // that result itself, once, on stdout (or as JSON), so deploy.ts's own lines are dropped
      console.log = () => {};
      let deployment: Awaited<ReturnType<typeof import("../../scripts/deploy").main>>;
      try {
        if (o.compile) await hre.run("compile", { quiet: true });
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after Hardhat, which it imports
        const { main } = require("../../scripts/deploy") as typeof import("../../scripts/deploy");
        deployment = await main();
      } finally {
        console.log = log;
      }
      const file = join(out, `${chainId}.json`);
      const { publicClient } = createChainClients({ rpcUrl: g.rpcUrl, chainId });
      const [admin, now] = await Promise.all([readAdmin({ publicClient, deployment, retry: { attempts: 3 } }), publicClient.getBlock({ blockTag: "latest" })]);
      const transfer = admin.pending;
      emit(io, g.json, { command: "deploy", file, ...deployment, admin: admin.admin, adminTransfer: transfer }, [
        `deployed on chain ${chainId}: ledger ${deployment.ledger}, credit ${deployment.credit}, settlement token ${deployment.settlementToken}`,
        ...(transfer
          ? [`admin transfer to ${transfer.newAdmin} started: it accepts with \`dsx admin accept\` after ${whenText(transfer.acceptableAfter, now.timestamp)}; until then the admin is ${admin.admin}`]
          : []),
        `wrote ${file}`,
      ]);
    });
}
