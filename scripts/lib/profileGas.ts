// Aggregates a transaction's gas by Solidity source line of one contract (frames at `depth`), for gas work:
//   GAS_PROFILE="submitUsage 1 line" npm run gas
import hre from "hardhat";

export async function profile(txHash: string, contract = "RevenueShareLedger", depth = 1) {
  const art = await hre.artifacts.readArtifact(contract);
  const fq = `${art.sourceName}:${art.contractName}`;
  const bi = await hre.artifacts.getBuildInfo(fq);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- solc output is untyped here
  const out = bi!.output.contracts[art.sourceName][art.contractName] as any;
  const code: string = out.evm.deployedBytecode.object.replace(/__\$[0-9a-f]{34}\$__/g, "0".repeat(40));
  const srcmap: string[] = out.evm.deployedBytecode.sourceMap.split(";");
  // pc -> instruction index
  const pcToIdx = new Map<number, number>();
  const bytes = Buffer.from(code, "hex");
  for (let pc = 0, idx = 0; pc < bytes.length; idx++) {
    pcToIdx.set(pc, idx);
    const op = bytes[pc];
    pc += op >= 0x60 && op <= 0x7f ? op - 0x5e : 1;
  }
  // decode source map
  const entries: { s: number; l: number; f: number }[] = [];
  let last = { s: -1, l: -1, f: -1 };
  for (const e of srcmap) {
    const [s, l, f] = e.split(":");
    last = { s: s ? +s : last.s, l: l ? +l : last.l, f: f ? +f : last.f };
    entries.push({ ...last });
  }
  const sources: Record<number, { name: string; text: string }> = {};
  for (const [name, src] of Object.entries(bi!.output.sources) as [string, { id: number }][]) {
    sources[src.id] = { name, text: bi!.input.sources[name]?.content ?? "" };
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- debug_traceTransaction's untyped result
  const trace: any = await hre.network.provider.send("debug_traceTransaction", [txHash, { disableStorage: true, disableMemory: true, disableStack: true }]);
  const agg = new Map<string, number>();
  for (const l of trace.structLogs) {
    if (l.depth !== depth) continue;
    if (["CALL", "STATICCALL", "DELEGATECALL"].includes(l.op)) l.gasCost = 100;
    const idx = pcToIdx.get(l.pc);
    if (idx === undefined) continue;
    const e = entries[idx];
    const src = sources[e.f];
    let key = "?";
    if (src) {
      const line = src.text.slice(0, e.s).split("\n").length;
      key = `${src.name.split("/").pop()}:${line}`;
    }
    agg.set(key, (agg.get(key) ?? 0) + l.gasCost);
  }
  const rows = [...agg.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40);
  for (const [k, g] of rows) console.log(k.padEnd(40), g);
}
