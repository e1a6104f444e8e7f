// `audit` (SERVICES §5, §6 `dsx audit [--record]`): re-derives every payout of the ledger from public chain data.
//   audit [--rpc-url <url>] [--chain-id <n>] [--deployments <dir>] [--block <n>] [--evidence <dir>]
//         [--revenue-evidence <dir>] [--out <dir>] [--json]
//         [--record (--keystore <file> [--password-env <VAR>] | --private-key <hex>)]
//   audit prove <batchId> <recordId> --evidence <dir>        the Merkle proof of one record against the chain
//   audit verify <report.json>                               a report's hash and the on-chain records of it
// Exit status: 0 when everything matches, 1 on any discrepancy (each printed with the agreement, the figure,
// expected and found) or on an error (one line naming the cause and the fix). `--rpc <url>`, the option's old name,
// is still accepted with a one-line deprecation notice on stderr.
import fs from "node:fs";
import path from "node:path";
import { Command, Option } from "commander";
import { decodeEventLog, toEventSelector, type AbiEvent, type Address, type Hex } from "viem";
import { revenueShareLedgerAbi } from "../sdk/abis";
import { createChainClients } from "../sdk/chain";
import { loadDeployment } from "../sdk/deployment";
import { DsxError } from "../sdk/errors";
import { loadAccount } from "../sdk/keys";
import { runAudit } from "./audit";
import { createChainReader } from "./chain/reader";
import { loadEvidenceBundles } from "./evidence/bundles";
import { proveRecordAgainst } from "./evidence/verify";
import { recordAudits, verifyReportFile } from "./record";

/**
 * An option's value as the user set it: from the command line (on the command or a parent: a parent parses the
 * options it knows wherever they stand), else from the environment, else the default. `dsx` hands its own
 * `--rpc-url`, `--deployment` and `--chain-id` over as the values of `rpcUrl`, `deployments` and `chainId` on the
 * command itself, which a parent's default must not hide.
 */
function optionOf(cmd: Command, name: string, sources: readonly string[] = ["cli", "env", "default"]): string | undefined {
  const line: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) line.push(c);
  for (const source of sources) {
    const set = line.find((c) => c.getOptionValueSource(name) === source && c.getOptionValue(name) !== undefined);
    if (set) return String(set.getOptionValue(name));
  }
  return undefined;
}

/** The endpoint: `--rpc-url` on the command line, else the deprecated `--rpc`, else DSX_RPC_URL, else the default. */
const rpcUrlOf = (cmd: Command): string => (optionOf(cmd, "rpcUrl", ["cli"]) ?? optionOf(cmd, "rpc", ["cli"]) ?? optionOf(cmd, "rpcUrl"))!;

function target(cmd: Command): { rpcUrl: string; chainId: number; ledger: Address; fromBlock: bigint; credit: Address; settlementToken: Address } {
  const chainId = Number(optionOf(cmd, "chainId"));
  const deployment = loadDeployment(optionOf(cmd, "deployments")!, chainId);
  return { rpcUrl: rpcUrlOf(cmd), chainId, ledger: deployment.ledger, fromBlock: BigInt(deployment.deploymentBlock), credit: deployment.credit, settlementToken: deployment.settlementToken };
}

const USAGE_BATCH_RECORDED = toEventSelector(revenueShareLedgerAbi.find((e) => e.type === "event" && e.name === "UsageBatchRecorded") as AbiEvent);

const out = (line: string) => process.stdout.write(`${line}\n`);

function commonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--rpc-url <url>", "JSON-RPC endpoint").env("DSX_RPC_URL").default("http://127.0.0.1:8545"))
    .addOption(new Option("--rpc <url>", "deprecated name of --rpc-url").hideHelp().argParser((url: string) => {
      process.stderr.write("audit: --rpc is deprecated; use --rpc-url (same meaning).\n");
      return url;
    }))
    .addOption(new Option("--chain-id <n>", "chain id").env("DSX_CHAIN_ID").default("31337"))
    .addOption(new Option("--deployments <dir>", "folder of <chainId>.json deployment files").env("DSX_DEPLOYMENTS_DIR").default("deployments"));
}

async function auditCommand(o: { block?: string; evidence?: string; revenueEvidence?: string; out: string; json?: boolean; record?: boolean; keystore?: string; passwordEnv?: string; privateKey?: string; chunk: string }, cmd: Command): Promise<number> {
  const t = target(cmd);
  if (o.record && !o.keystore && !o.privateKey) {
    throw new DsxError("--record needs the AUDITOR key.", { fix: "Pass --keystore <file> (password in DSX_KEYSTORE_PASSWORD) or, on chain 31337, --private-key." });
  }
  const result = await runAudit({
    ...t, throughBlock: o.block ? BigInt(o.block) : undefined, evidenceDir: o.evidence, revenueEvidenceDir: o.revenueEvidence, chunkBlocks: BigInt(o.chunk),
    onProgress: (phase) => process.stderr.isTTY && process.stderr.write(`audit: ${phase} done\n`),
  });
  const { report, reportHash } = result;
  fs.mkdirSync(o.out, { recursive: true });
  const base = path.join(o.out, `audit-${t.chainId}-${report.chain.throughBlock}`);
  fs.writeFileSync(`${base}.json`, result.json);
  fs.writeFileSync(`${base}.md`, result.markdown);
  let recorded: Awaited<ReturnType<typeof recordAudits>> = [];
  if (o.record) {
    const account = await loadAccount({ chainId: t.chainId, keystore: o.keystore, privateKey: o.privateKey, passwordEnv: o.passwordEnv });
    const { publicClient, walletClient } = createChainClients({ rpcUrl: t.rpcUrl, chainId: t.chainId, account });
    recorded = await recordAudits(publicClient, walletClient!, account, report, reportHash);
  }
  if (o.json) {
    out(JSON.stringify({ clean: report.clean, reportHash, report: `${base}.json`, summary: `${base}.md`, totals: report.summary, discrepancies: report.discrepancies, recorded }));
  } else {
    out(`audit of ledger ${t.ledger} through block ${report.chain.throughBlock}: ${report.clean ? "CLEAN" : `${report.discrepancies.length} discrepancies`}; ` +
      `${report.summary.events} events, ${report.summary.agreements} agreements, ${report.summary.checksPassed} checks passed`);
    out(`report ${base}.json (keccak256 ${reportHash}), summary ${base}.md`);
    for (const d of report.discrepancies.slice(0, 50)) {
      out(`DISCREPANCY agreement ${d.agreementId ?? "program"} [${d.check}] ${d.figure}: expected ${d.expected}, found ${d.found}${d.at ? ` (block ${d.at.block}${d.at.tx ? `, tx ${d.at.tx}` : ""})` : ""}`);
    }
    if (report.discrepancies.length > 50) out(`… ${report.discrepancies.length - 50} more in ${base}.json`);
    for (const r of recorded) out(`recorded agreement ${r.agreementId} (clean ${r.clean}) in tx ${r.transactionHash}`);
  }
  return report.clean ? 0 : 1;
}

async function proveCommand(batchId: string, recordId: string, o: { evidence?: string }, cmd: Command): Promise<number> {
  if (!o.evidence) throw new DsxError("prove needs the evidence folder.", { fix: "Pass --evidence <dir>." });
  const t = target(cmd);
  const bundle = loadEvidenceBundles(o.evidence).find((b) => b.bundle?.batchId.toLowerCase() === batchId.toLowerCase())?.bundle;
  if (!bundle) throw new DsxError(`No evidence bundle for batch ${batchId} in ${o.evidence}.`, { fix: "Check the batch id and the folder." });
  const reader = createChainReader({ rpcUrl: t.rpcUrl });
  const logs = await reader.getLogs({ address: t.ledger, topics: [USAGE_BATCH_RECORDED, batchId as Hex], fromBlock: t.fromBlock, toBlock: await reader.client.getBlockNumber() });
  const onChainRoot = logs[0]
    ? (decodeEventLog({ abi: revenueShareLedgerAbi, data: logs[0].data, topics: logs[0].topics as [Hex, ...Hex[]], eventName: "UsageBatchRecorded" }).args.recordsRoot as Hex)
    : undefined;
  if (!onChainRoot) throw new DsxError(`Batch ${batchId} is not recorded on chain.`, { fix: "Check the batch id, the ledger and the node." });
  const proof = proveRecordAgainst(bundle, recordId, onChainRoot);
  if (!proof) throw new DsxError(`Record ${recordId} is not in batch ${batchId}'s evidence.`, { fix: "Check the record id." });
  out(JSON.stringify(proof, null, 2));
  return proof.leaves.every((l) => l.verified) ? 0 : 1;
}

async function verifyCommand(file: string, cmd: Command): Promise<number> {
  const t = target(cmd);
  const text = fs.readFileSync(file, "utf8");
  const v = await verifyReportFile(createChainReader({ rpcUrl: t.rpcUrl }), text, t.ledger, t.fromBlock);
  out(JSON.stringify(v, null, 2));
  return v.canonical && v.published.length > 0 ? 0 : 1;
}

export function auditProgram(): Command {
  const program = commonOptions(new Command("audit"))
    .description("Re-derive every payout of the DSX ledger from chain data; exit 1 on any discrepancy")
    .option("--block <n>", "the audited block (default: the latest)")
    .option("--evidence <dir>", "a folder of usage evidence bundles to verify")
    .option("--revenue-evidence <dir>", "the revenue oracle's evidence folder: verify the quarantine decisions behind its reports")
    .option("--out <dir>", "where to write the JSON report and the Markdown summary", "audit-reports")
    .option("--chunk <blocks>", "blocks per eth_getLogs call", "10000")
    .option("--json", "machine-readable output")
    .option("--record", "publish the report hash on chain with recordAudit (needs an AUDITOR key)")
    .option("--keystore <file>", "encrypted JSON keystore of the AUDITOR key")
    .option("--password-env <VAR>", "environment variable with the keystore password", "DSX_KEYSTORE_PASSWORD")
    .option("--private-key <hex>", "raw AUDITOR key (chain 31337 only)")
    .action(async (o, cmd: Command) => {
      process.exitCode = await auditCommand(o, cmd);
    });
  commonOptions(program.command("prove <batchId> <recordId>"))
    .description("Print the Merkle proof of one usage record against its batch's on-chain recordsRoot")
    .option("--evidence <dir>", "the evidence folder")
    .action(async (batchId: string, recordId: string, _o, cmd: Command) => {
      process.exitCode = await proveCommand(batchId, recordId, cmd.optsWithGlobals(), cmd);
    });
  commonOptions(program.command("verify <report>"))
    .description("Hash a report file and list the on-chain audit records of that hash")
    .action(async (file: string, _o, cmd: Command) => {
      process.exitCode = await verifyCommand(file, cmd);
    });
  return program;
}

if (require.main === module) {
  auditProgram().parseAsync(process.argv).catch((err: unknown) => {
    const message = err instanceof DsxError ? err.message : err instanceof Error ? err.message.split("\n")[0] : String(err);
    process.stderr.write(`audit: ${message}\n`);
    process.exitCode = 1;
  });
}

