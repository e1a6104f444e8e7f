// Every row accounted for (SERVICES §2 "Accounting of every row", "Quarantine review"): usage
// newer than the chain's clock waits in the state and is billed once the chain reaches it (the
// export is not read again: same path, same mtime); `read = new + duplicate + quarantined +
// ignored + waiting` in every summary, text and --json, on real exports; quarantined rows are
// decided one by one with a note and who decided, accepted rows are billed by the next run and
// their decisions land in the evidence bundle of the batch that bills them; the gas per GPU-hour
// attested is printed. On a real hardhat node with the CLI as operators run it.
import { expect } from "chai";
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileUsageConfig } from "../../oracle/sources/usage";
import { UsageState } from "../../oracle/state/usageState";
import type { EvidenceBundle } from "../../oracle/usage/bundle";
import { ingestFiles } from "../../oracle/usage/ingest";
import { resumeWaitingRows } from "../../oracle/usage/resume";
import { formatSummary, gasPerGpuHour, openUsageRuntime, runUsageOnce, type UsageRunSummary, type UsageRuntime } from "../../oracle/usage/run";
import { WindowGrid } from "../../oracle/usage/slicing";
import { at, fixturePath, startUsageOracle, sydneyConfig } from "./support";
import {
  chainGpuSeconds,
  HOUR,
  loadTestUsageConfig,
  runUsageCli,
  SACCT_HEADER,
  sacctLine,
  setChainTime,
  tempOracleDir,
  type UsageChain,
} from "./crash/usageChain";

const M = 60n;

/** The five outcomes of the rows read add up to the rows read. */
function expectAccounted(s: { read: number; new: number; duplicate: number; quarantined: number; ignored: number; waiting: number }, what: string): void {
  expect(s.new + s.duplicate + s.quarantined + s.ignored + s.waiting, `${what}: read = new + duplicate + quarantined + ignored + waiting`).to.equal(s.read);
}

/** The figures of the text summary's first line, `read N = new … + … + waiting …`. */
function textCounts(text: string): Record<string, number> {
  const m = /^usage: read (\d+) = new (\d+) \+ duplicate (\d+) \+ quarantined (\d+) \+ ignored (\d+) \+ waiting (\d+)/m.exec(text);
  expect(m, text).to.not.equal(null);
  const [read, fresh, duplicate, quarantined, ignored, waiting] = m!.slice(1).map(Number);
  return { read, new: fresh, duplicate, quarantined, ignored, waiting };
}

describe("usage oracle: every row accounted for, waiting rows, quarantine review (hardhat node)", function () {
  this.timeout(240_000);
  let chain: UsageChain;
  let h: bigint;
  let dir: string;
  let config: string;
  let cli: string;
  let rt: UsageRuntime | undefined;

  before(async function () {
    ({ chain, dir, config, cli } = await startUsageOracle({ chain: { signers: 1, threshold: 1, days: 2n }, cli: true }));
    h = chain.h0;
  });
  after(async function () {
    rt?.state.close();
    await chain?.node.stop();
  });

  it("when an export holds usage newer than the chain's clock, it waits in the state and a later run bills it once the chain reaches it (same file, same mtime)", async function () {
    const file = join(dir, "inbox", "sacct-ahead.txt");
    writeFileSync(
      file,
      [
        SACCT_HEADER,
        // in the past: billed at once
        sacctLine({ id: "301", account: "startup-a", start: h + 10n * M, end: h + 40n * M, gpus: 1 }),
        // partly ahead of the chain's clock (h + 2h05m)
        sacctLine({ id: "302", account: "startup-b", start: h + 110n * M, end: h + 150n * M, gpus: 2, type: "b200" }),
        // wholly ahead of it
        sacctLine({ id: "303", account: "startup-a", start: h + 140n * M, end: h + 170n * M, gpus: 4 }),
      ].join("\n") + "\n",
    );
    const mtime = statSync(file).mtimeMs;
    await setChainTime(chain, h + 125n * M);
    rt = await openUsageRuntime(loadTestUsageConfig(config));
    const first = await runUsageOnce(rt);

    // the chain moves on; the file is not touched
    await setChainTime(chain, h + 4n * HOUR);
    const second = await runUsageOnce(rt);
    expect(statSync(file).mtimeMs).to.equal(mtime);
    const onChain = await chainGpuSeconds(chain);
    // every GPU-second of the export, exactly: 301 + 303 for agreement 1, all of 302 for agreement 2
    expect(onChain.get(1n), "agreement 1").to.equal(1n * 30n * M + 4n * 30n * M);
    expect(onChain.get(2n), "agreement 2").to.equal(2n * 40n * M);

    // the first run: 301 new, 302 (billed up to the clock) and 303 waiting, kept in the state, the file not done
    expect(first).to.include({ read: 3, new: 1, duplicate: 0, quarantined: 0, ignored: 0, waiting: 2, pendingJobs: 0, submitted: 1 });
    expectAccounted(first, "first run");
    expect(first.waitingFiles).to.deep.equal([{ file, rows: 2 }]);
    expect(first.doneEarlier).to.deep.equal([]);
    const firstText = formatSummary(first);
    expect(textCounts(firstText)).to.deep.equal({ read: 3, new: 1, duplicate: 0, quarantined: 0, ignored: 0, waiting: 2 });
    expect(firstText).to.contain(`rows waiting for the chain's clock (billed by a later run): ${file} (2)`);

    // the second run reads no file: it bills the two waiting rows from the state, and the file is done
    expect(second).to.include({ read: 0, new: 0, waiting: 0, submitted: 2 });
    expect(second.earlier).to.deep.equal({ read: 2, new: 2, duplicate: 0, waiting: 0 });
    expect(second.doneEarlier).to.deep.equal([file]);
    expect(second.waitingFiles).to.deep.equal([]);
    expect(formatSummary(second)).to.contain("waiting rows of earlier runs: 2 = new 2 + duplicate 0 + waiting 0").and.contain(`done earlier: ${file}`);

    // gas per GPU-hour attested: the batches of the second run attest 302 and 303 whole
    expect(second.gpuSecondsAttested).to.equal(2n * 40n * M + 4n * 30n * M);
    expect(second.gasUsed > 0n).to.equal(true);
    const perHour = gasPerGpuHour(second)!;
    expect(Number(perHour)).to.be.closeTo(Number((second.gasUsed * 3600n) / second.gpuSecondsAttested), 1);
    expect(formatSummary(second)).to.contain(`gas used ${second.gasUsed} for 3.3 GPU-hours attested (${perHour} gas per GPU-hour)`);

    // a third run: nothing waits, nothing is read, the file is named as done
    const third = await runUsageOnce(rt);
    expect(third).to.include({ read: 0, submitted: 0 });
    expect(third.earlier.read).to.equal(0);
    expect(third.doneEarlier).to.deep.equal([file]);
    rt.state.close();
    rt = undefined;
  });

  it("when an operator accepts or rejects quarantined rows one by one, the decision is kept with who and why, and the next run bills the accepted ones with the decision in their evidence", async function () {
    const file = join(dir, "inbox", "sacct-review.txt");
    writeFileSync(
      file,
      [
        SACCT_HEADER,
        sacctLine({ id: "401", account: "startup-z", start: h + 240n * M, end: h + 270n * M, gpus: 2 }),
        sacctLine({ id: "402", account: "startup-a", start: h + 250n * M, end: h + 280n * M, gpus: 1, type: "a100" }),
        sacctLine({ id: "403.batch", account: "startup-a", start: h + 240n * M, end: h + 250n * M, gpus: 1 }),
      ].join("\n") + "\n",
    );
    const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString();
    writeFileSync(
      join(dir, "inbox", "meter-review.jsonl"),
      `${JSON.stringify({ recordId: "m-z", account: "startup-z", sku: "b200", start: iso(h + 240n * M), end: iso(h + 260n * M), gpus: 1 })}\n`,
    );
    await setChainTime(chain, h + 6n * HOUR);
    const before = await chainGpuSeconds(chain);
    const first = await runUsageCli(cli, ["run", "--config", config, "--json"]);
    expect(first.code, first.stderr).to.equal(0);
    expect(JSON.parse(first.stdout)).to.include({ read: 4, quarantined: 4, new: 0 });

    const list = async (...args: string[]) => {
      const r = await runUsageCli(cli, ["quarantine", "list", "--config", config, "--json", ...args]);
      expect(r.code, r.stderr).to.equal(0);
      return JSON.parse(r.stdout) as { id: number; file: string; line: number; reason: string; wouldBill: Record<string, string> | null; decision: Record<string, unknown> | null }[];
    };
    const open = await list();
    const idOf = (line: number, f = file) => open.find((e) => e.file === f && e.line === line)!.id;
    expect(open.map((e) => e.reason).sort()).to.deep.equal(["job-step", "unknown-account", "unknown-account", "unknown-sku"]);
    expect(open.find((e) => e.line === 2 && e.file === file)!.wouldBill).to.deep.include({ source: "slurm", jobId: "401", account: "startup-z", sku: "h100-sxm", gpus: "2", gpuSeconds: "3600" });
    const [z, a100, step] = [idOf(2), idOf(3), idOf(4)];

    const decideCli = (...args: string[]) => runUsageCli(cli, ["quarantine", ...args, "--config", config]);
    // the row names a GPU type the config does not know: say which sku, or nothing is recorded
    const noSku = await decideCli("accept", String(a100), "--note", "A100 nodes bill as H100 per contract §4", "--by", "alice");
    expect(noSku.code).to.equal(1);
    expect(noSku.stderr).to.contain(`#${a100}`).and.contain("--sku");
    // all or none: a job step cannot be accepted, so the other id is not recorded either
    const mixed = await decideCli("accept", String(a100), String(step), "--sku", "h100-sxm", "--note", "n", "--by", "alice");
    expect(mixed.code).to.equal(1);
    expect(mixed.stderr).to.contain(`#${step}`).and.contain("job-step");
    expect((await list()).filter((e) => e.decision !== null)).to.deep.equal([]);

    const accepted = await decideCli("accept", String(z), "--account", "startup-b", "--note", "startup-z is startup-b's old project account", "--by", "alice");
    expect(accepted.code, accepted.stderr).to.equal(0);
    expect(accepted.stdout).to.contain("1 row accepted; the next `dsx usage run` bills");
    expect((await decideCli("accept", `#${a100}`, "--sku", "h100-sxm", "--note", "A100 nodes bill as H100 per contract §4", "--by", "alice")).code).to.equal(0);
    // without --by the OS user decides
    expect((await decideCli("reject", String(step), "--note", "a step row; the allocation is billed")).code).to.equal(0);
    const again = await decideCli("reject", String(z), "--note", "changed my mind");
    expect(again.code).to.equal(1);
    expect(again.stderr).to.contain("decisions are final");

    // only the undecided row is left to review; --all shows the decisions
    expect((await list()).map((e) => e.id)).to.deep.equal([idOf(1, join(dir, "inbox", "meter-review.jsonl"))]);
    const all = await list("--all");
    expect(all.find((e) => e.id === z)!.decision).to.include({ decision: "accept", decidedBy: "alice", note: "startup-z is startup-b's old project account", account: "startup-b", agreementId: "2", taken: false });
    expect(all.find((e) => e.id === step)!.decision).to.include({ decision: "reject" });
    expect((all.find((e) => e.id === step)!.decision as { decidedBy: string }).decidedBy).to.not.equal("");
    const jsonl = readFileSync(join(dir, "state", "quarantine.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: number; decision?: { by: string } });
    expect(jsonl.find((q) => q.id === z)!.decision).to.include({ by: "alice" });

    // the next run bills the two accepted rows: 401 as startup-b's, 402 as h100-sxm
    const second = await runUsageCli(cli, ["run", "--config", config, "--json"]);
    expect(second.code, second.stderr).to.equal(0);
    const s = JSON.parse(second.stdout) as UsageRunSummary;
    expect(s.accepted).to.deep.equal({ read: 2, new: 2, duplicate: 0, waiting: 0 });
    expect(s.submitted).to.equal(1);
    const after = await chainGpuSeconds(chain);
    expect(after.get(2n)! - before.get(2n)!).to.equal(2n * 30n * M);
    expect(after.get(1n)! - before.get(1n)!).to.equal(1n * 30n * M);
    expect((await list("--all")).find((e) => e.id === z)!.decision).to.include({ taken: true });

    // the evidence bundle of that batch carries both decisions with the recordIds they billed
    const bundles = readdirSync(join(dir, "evidence"))
      .map((f) => JSON.parse(readFileSync(join(dir, "evidence", f), "utf8")) as EvidenceBundle)
      .filter((b) => b.quarantineDecisions.length > 0);
    expect(bundles).to.have.length(1);
    const decisions = bundles[0].quarantineDecisions;
    expect(decisions.map((d) => d.quarantineId)).to.deep.equal([z, a100]);
    expect(decisions[0]).to.include({ decision: "accept", decidedBy: "alice", note: "startup-z is startup-b's old project account", account: "startup-b", agreementId: "2", sku: "h100-sxm", reason: "unknown-account" });
    expect(decisions[0].recordIds).to.deep.equal([`slurm:syd1:401:${h + 240n * M}`]);
    const leafIds = bundles[0].tree.values.map((v) => v.value[0]);
    for (const d of decisions) for (const id of d.recordIds) expect(leafIds).to.include(id);
  });
  it("when the summary is printed as text and as --json for real exports, both say read = new + duplicate + quarantined + ignored + waiting", async function () {
    // The Sydney fixtures (October 2026; this chain's clock still stands in early September), for a
    // partner whose agreements (11–13) are not on this chain: every row is accounted, nothing is sent.
    const fixtures = join(dir, "fixtures");
    mkdirSync(fixtures);
    const files = [
      ["slurm", "sacct-2026-10-03.txt"],
      ["slurm", "sacct-2026-10-04.txt"],
      ["slurm", "sacct-without-X.txt"],
      ["metering", "meter-2026-10-03.jsonl"],
      ["metering", "meter-2026-10-03.csv"],
    ];
    for (const [kind, name] of files) copyFileSync(fixturePath(kind, name), join(fixtures, name));
    const fixtureConfig = join(dir, "fixtures.json");
    const base = JSON.parse(readFileSync(config, "utf8")) as Record<string, unknown>;
    writeFileSync(
      fixtureConfig,
      JSON.stringify({
        ...base,
        stateDir: join(dir, "fixtures-state"),
        evidenceDir: join(dir, "fixtures-evidence"),
        inputs: [fixtures],
        accounts: { "startup-a": "11", "startup-b": "12", "startup-c": "13" },
        timezone: sydneyConfig.timezone,
      }),
    );
    const text = await runUsageCli(cli, ["run", "--config", fixtureConfig]);
    expect(text.code, text.stderr).to.equal(0);
    const counts = textCounts(text.stdout);
    expectAccounted(counts as never, "text");
    // every line of the five files but the headers (JSON Lines has none)
    const lines = (name: string) => readFileSync(join(fixtures, name), "utf8").split("\n").filter((l) => l.trim() !== "").length;
    expect(counts.read).to.equal(files.reduce((n, [, name]) => n + lines(name) - (name.endsWith(".jsonl") ? 0 : 1), 0));
    // the 13 Slurm rows with GPUs of a known account are all ahead of the chain's clock, 2 are pending jobs
    expect(counts).to.include({ read: 61, quarantined: 32, ignored: 5, waiting: 15 });
    expect(counts.new + counts.duplicate).to.equal(9);
    expect(text.stdout).to.contain("waiting 15 (2 pending jobs: a later export bills them)");
    expect(text.stdout).to.contain(`rows waiting for the chain's clock (billed by a later run): ${join(fixtures, "sacct-2026-10-03.txt")} (8), ${join(fixtures, "sacct-2026-10-04.txt")} (4), ${join(fixtures, "sacct-without-X.txt")} (1)`);

    // the chain passes the exports and a copy of the first one arrives: --json says the same
    await setChainTime(chain, at("2026-10-06T00:00:00Z"));
    copyFileSync(fixturePath("slurm", "sacct-2026-10-03.txt"), join(fixtures, "sacct-2026-10-03.again.txt"));
    const json = await runUsageCli(cli, ["run", "--config", fixtureConfig, "--json"]);
    expect(json.code, json.stderr).to.equal(0);
    const summary = JSON.parse(json.stdout) as UsageRunSummary & { gasUsed: string; gasPerGpuHour: string | null };
    expectAccounted(summary, "--json");
    expect(summary).to.include({ read: 22, new: 0, duplicate: 8, quarantined: 10, ignored: 2, waiting: 2, pendingJobs: 2 });
    // the waiting rows are billed from the state; 4115 came in both exports, so its second row is a duplicate
    expect(summary.earlier).to.deep.equal({ read: 13, new: 12, duplicate: 1, waiting: 0 });
    expect(summary.doneEarlier.map((f) => f.slice(fixtures.length + 1))).to.deep.equal(files.map(([, name]) => name).sort());
    expect(summary.waitingFiles).to.deep.equal([]);
    expect(summary.gasPerGpuHour).to.equal(null);
  });
});

describe("usage oracle: waiting rows on real exports (no chain)", function () {
  it("when the clock stands inside a real sacct export, rows ahead of it wait in the state and are billed exactly when it passes them", async function () {
    const dir = tempOracleDir();
    const state = UsageState.open(join(dir, "state"), { chainId: 31337, ledger: "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853", partner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" });
    try {
      const settings = compileUsageConfig(sydneyConfig);
      const grid = new WindowGrid({});
      const file = fixturePath("slurm", "sacct-2026-10-03.txt");
      // 22:00 in Sydney: job 4104 (20:00 → next day 12:00) has run two hours, job 4115 (next day 10:00) has not started
      const now = at("2026-10-03T12:00:00Z");
      const read = await ingestFiles(state, [file], { settings, grid, now });
      expect(read).to.include({ read: 22, new: 6, duplicate: 0, quarantined: 10, ignored: 2, waiting: 4, pendingJobs: 2 });
      expectAccounted(read, "ingest");
      expect(state.waitingFiles()).to.deep.equal([{ file, rows: 2 }]);
      const billedFirst = read.gpuSeconds;

      // the clock has not moved: the rows still wait, nothing is billed
      expect(resumeWaitingRows(state, { now, grid })).to.deep.equal({ read: 2, new: 0, duplicate: 0, waiting: 2 });
      // the clock passes both: billed to their ends, the file is done
      const later = resumeWaitingRows(state, { now: at("2026-10-05T00:00:00Z"), grid });
      expect(later).to.deep.equal({ read: 2, new: 2, duplicate: 0, waiting: 0 });
      expect(state.waitingFiles()).to.deep.equal([]);
      // exactly the rest of the two rows: 4104's last 13 h on 16 GPUs (it runs 15 h: the clocks go forward that night), 4115 2 GPUs × 1 h
      const total = state.sliceTotals().pending.gpuSeconds;
      expect(total - billedFirst).to.equal(16n * 13n * 3600n + 2n * 3600n);
      // the next day's export repeats 4104: its watermark makes it a duplicate now
      const next = await ingestFiles(state, [file, fixturePath("slurm", "sacct-2026-10-04.txt")], { settings, grid, now: at("2026-10-05T00:00:00Z") });
      expectAccounted(next, "second ingest");
      expect(next.doneEarlier).to.deep.equal([file]);
    } finally {
      state.close();
    }
  });
});
