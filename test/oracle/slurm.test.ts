import { expect } from "chai";
import { ConfigError } from "../../sdk/errors";
import { MissingColumnError, MissingHeaderError } from "../../oracle/sources/columns";
import { billSlurmRecord, parseSlurmText, readSlurmFile, slurmRecordId, type SlurmRecord } from "../../oracle/sources/slurm";
import { compileUsageConfig, type UsageRecord, type UsageSourceConfig } from "../../oracle/sources/usage";
import { collectEvents, type SourceEvent } from "../../oracle/sources/types";
import { at, fixturePath, readFixture, sydneyConfig } from "./support";

const HEADER = "JobIDRaw|Cluster|User|Account|Partition|State|Start|End|ElapsedRaw|AllocTRES|NodeList";
const TRES_H100 = "billing=128,cpu=128,gres/gpu:h100=8,gres/gpu=8,mem=1T,node=1";
const utcConfig: UsageSourceConfig = { ...sydneyConfig, timezone: undefined };

function row(fields: Partial<Record<string, string>> = {}): string {
  const defaults: Record<string, string> = {
    JobIDRaw: "9001",
    Cluster: "c1",
    User: "u",
    Account: "startup-a",
    Partition: "gpu-h100",
    State: "COMPLETED",
    Start: "2026-10-03T10:00:00",
    End: "2026-10-03T11:00:00",
    ElapsedRaw: "3600",
    AllocTRES: TRES_H100,
    NodeList: "n1",
  };
  return HEADER.split("|")
    .map((name) => fields[name] ?? defaults[name])
    .join("|");
}

function one(line: string, config: UsageSourceConfig = utcConfig) {
  return parseSlurmText(`${HEADER}\n${line}\n`, config, "t.txt");
}

describe("parseSlurmText", () => {
  describe("when given the Sydney export of 2026-10-03", () => {
    const parsed = parseSlurmText(readFixture("slurm", "sacct-2026-10-03.txt"), sydneyConfig, "sacct-2026-10-03.txt");
    const byJob = new Map(parsed.records.map((r) => [r.recordKey.jobId, r]));

    it("when it counts the rows, it accounts for every one: records, quarantined, ignored, waiting", () => {
      expect(parsed.counts).to.deep.equal({ read: 22, records: 8, quarantined: 10, ignored: 2, waiting: 2 });
    });

    it("when a job is plain, an array task or a heterogeneous component, it keeps JobIDRaw as the job id", () => {
      expect([...byJob.keys()]).to.deep.equal(["4101", "4102_7", "4103+0", "4103+1", "4104", "4107", "4119", "4115"]);
      expect(byJob.get("4103+1")).to.deep.include({ sku: "b200", gpus: 2n, agreementId: 3n });
    });

    it("when a row is complete, it converts Sydney standard time and bills gpus × seconds", () => {
      expect(byJob.get("4101")).to.deep.equal({
        recordKey: { cluster: "firmus-syd1", jobId: "4101" },
        account: "startup-a",
        agreementId: 1n,
        sku: "h100-sxm",
        start: at("2026-10-02T23:15:00Z"),
        end: at("2026-10-03T03:45:30Z"),
        gpus: 8n,
        gpuSeconds: 16_230n * 8n,
        source: { file: "sacct-2026-10-03.txt", line: 2 },
      } satisfies SlurmRecord);
    });

    it("when a running job crosses the spring-forward night, it bills the real 15 h, not the 16 h on the wall clock", () => {
      const job = byJob.get("4104") as SlurmRecord;
      expect(job.start).to.equal(at("2026-10-03T10:00:00Z"));
      expect(job.end).to.equal(at("2026-10-04T01:00:00Z"));
      expect(job.gpuSeconds).to.equal(54_000n * 16n);
    });

    it("when AllocTRES only says gres/gpu=N, it takes the partition's sku; gres/gpumem and gres/gpuutil are no GPUs", () => {
      expect(byJob.get("4107")).to.deep.include({ sku: "h100-sxm", gpus: 4n, gpuSeconds: 28_800n });
      expect(byJob.get("4119")).to.deep.include({ gpus: 2n, gpuSeconds: 3600n });
    });

    it("when a row is quarantined, it keeps file, line, the raw text and a reason from the closed set", () => {
      const reasons = parsed.quarantined.map((q) => [q.line, q.reason]);
      expect(reasons).to.deep.equal([
        [10, "unknown-sku"],
        [11, "unknown-account"],
        [12, "unknown-sku"],
        [13, "malformed-tres"],
        [14, "end-before-start"],
        [15, "too-large"],
        [16, "job-step"],
        [17, "parse-error"],
        [18, "parse-error"],
        [19, "mixed-sku"],
      ]);
      const step = parsed.quarantined.find((q) => q.reason === "job-step");
      expect(step).to.deep.include({ file: "sacct-2026-10-03.txt", raw: readFixture("slurm", "sacct-2026-10-03.txt").split("\n")[15] });
      expect(step?.detail).to.contain("sacct -X");
    });

    it("when a job is pending (Start/End Unknown or None), it waits for a later export instead of quarantining", () => {
      expect(parsed.waiting.map((w) => w.source.line)).to.deep.equal([7, 22]);
      expect(parsed.ignored).to.deep.equal([
        { reason: "non-gpu", source: { file: "sacct-2026-10-03.txt", line: 8 } },
        { reason: "zero-usage", source: { file: "sacct-2026-10-03.txt", line: 21 } },
      ]);
    });
  });

  it("when the export was made without -X, it quarantines every step as job-step with the fix and keeps the allocation", () => {
    const parsed = parseSlurmText(readFixture("slurm", "sacct-without-X.txt"), sydneyConfig);
    expect(parsed.records.map((r) => r.recordKey.jobId)).to.deep.equal(["4201"]);
    expect(parsed.quarantined.map((q) => [q.raw.split("|")[0], q.reason])).to.deep.equal([
      ["4201.batch", "job-step"],
      ["4201.extern", "job-step"],
      ["4201.0", "job-step"],
      ["4202_3.batch", "job-step"],
    ]);
  });

  describe("when the wall clock repeats an hour (Europe/Berlin, 2026-10-25)", () => {
    const berlin = { ...sydneyConfig, timezone: "Europe/Berlin" };
    const parsed = parseSlurmText(readFixture("slurm", "sacct-berlin-fallback.txt"), berlin);
    const byJob = new Map(parsed.records.map((r) => [r.recordKey.jobId, r]));

    it("when ElapsedRaw tells which pass each time belongs to, it picks that pair", () => {
      expect(byJob.get("5001")).to.deep.include({ start: at("2026-10-25T00:10:00Z"), end: at("2026-10-25T01:20:00Z") });
      expect(byJob.get("5002")).to.deep.include({ start: at("2026-10-25T00:50:00Z"), end: at("2026-10-25T01:10:00Z") });
      expect(byJob.get("5003")?.gpuSeconds).to.equal(14_400n);
      expect(byJob.get("5004")).to.deep.include({ start: at("2026-10-25T00:10:00Z"), end: at("2026-10-25T00:20:00Z") });
    });

    it("when there is no ElapsedRaw column, it takes the earliest pair that does not end before it starts", () => {
      const text = [
        "JobIDRaw|Cluster|Account|Partition|Start|End|AllocTRES",
        "5002|eu|startup-a|gpu-h100|2026-10-25T02:50:00|2026-10-25T02:10:00|gres/gpu:h100=1",
      ].join("\n");
      const [record] = parseSlurmText(text, berlin).records;
      expect(record).to.deep.include({ start: at("2026-10-25T00:50:00Z"), end: at("2026-10-25T01:10:00Z") });
    });
  });

  it("when the columns come in another order, with extra ones and without the optional ones, it finds them by name", () => {
    const text = [
      "NodeList|AllocTRES|End|Start|Partition|Account|Cluster|JobIDRaw|Comment",
      `n1|${TRES_H100}|2026-10-03T11:00:00|2026-10-03T10:00:00|gpu-h100|startup-a|c1|77|hi`,
    ].join("\n");
    const { records } = parseSlurmText(text, utcConfig);
    expect(records[0]).to.deep.include({ recordKey: { cluster: "c1", jobId: "77" }, gpuSeconds: 28_800n });
  });

  for (const column of ["JobIDRaw", "Cluster", "Account", "Partition", "Start", "End", "AllocTRES"]) {
    it(`when the header lacks ${column}, it throws MissingColumnError naming it`, () => {
      const header = HEADER.split("|")
        .filter((c) => c !== column)
        .join("|");
      expect(() => parseSlurmText(`${header}\n`, utcConfig, "x.txt"))
        .to.throw(MissingColumnError)
        .with.property("column", column);
    });
  }

  it("when the input is empty, it throws MissingHeaderError", () => {
    expect(() => parseSlurmText("", utcConfig)).to.throw(MissingHeaderError);
  });

  it("when exported with -p (a trailing |) and CRLF line ends, it parses like -P", () => {
    const text = `${HEADER}|\r\n${row()}|\r\n`;
    expect(parseSlurmText(text, utcConfig).records).to.have.length(1);
  });

  it("when two exports were concatenated, it ignores the second header line", () => {
    const parsed = parseSlurmText(`${HEADER}\n${row()}\n${HEADER}\n${row({ JobIDRaw: "9002" })}\n`, utcConfig);
    expect(parsed.counts).to.deep.include({ records: 2, ignored: 1 });
    expect(parsed.ignored[0].reason).to.equal("repeated-header");
  });

  it("when sacct printed times with a zone (SLURM_TIME_FORMAT with %z), it uses that zone", () => {
    const { records } = one(row({ Start: "2026-10-03T10:00:00+0200", End: "2026-10-03T11:00:00+02:00" }));
    expect(records[0].start).to.equal(at("2026-10-03T08:00:00Z"));
  });

  it("when two GPU types map to the same sku, it sums them", () => {
    const config = { ...utcConfig, skuMap: { ...utcConfig.skuMap, h100_nvl: "h100-sxm" } };
    const { records } = one(row({ AllocTRES: "gres/gpu:h100=4,gres/gpu:h100_nvl=2,gres/gpu=6" }), config);
    expect(records[0]).to.deep.include({ gpus: 6n, sku: "h100-sxm" });
  });

  it("when AllocTRES is not key=value or a GPU count is not a whole number, it quarantines malformed-tres", () => {
    for (const tres of ["cpu=8,gres/gpu:h100", "gres/gpu=1.5", "gres/gpu:=2", "=3"]) {
      expect(one(row({ AllocTRES: tres })).quarantined[0]?.reason, tres).to.equal("malformed-tres");
    }
  });

  it("when a row has another field count, a bad job id or no cluster, it quarantines parse-error", () => {
    expect(one(`${row()}|extra`).quarantined[0].detail).to.contain("found 12");
    expect(one(row({ JobIDRaw: "abc" })).quarantined[0].reason).to.equal("parse-error");
    expect(one(row({ Cluster: "" })).quarantined[0].reason).to.equal("parse-error");
    expect(one(row({ End: "2026-10-03T25:00:00" })).quarantined[0].reason).to.equal("parse-error");
  });

  it("when the account is unknown, even one named like an Object property, it quarantines unknown-account", () => {
    for (const account of ["acme", "constructor", "toString", ""]) {
      expect(one(row({ Account: account })).quarantined[0]?.reason, account).to.equal("unknown-account");
    }
  });

  it("when otherAccounts is ignore, it ignores other customers' jobs instead", () => {
    const parsed = one(row({ Account: "acme" }), { ...utcConfig, otherAccounts: "ignore" });
    expect(parsed.ignored[0].reason).to.equal("other-account");
    expect(parsed.counts.quarantined).to.equal(0);
  });

  it("when a record exceeds maxRecordGpuSeconds, it quarantines too-large; exactly at the limit it passes", () => {
    expect(one(row(), { ...utcConfig, maxRecordGpuSeconds: 28_799n }).quarantined[0].reason).to.equal("too-large");
    expect(one(row(), { ...utcConfig, maxRecordGpuSeconds: 28_800n }).records).to.have.length(1);
  });

  it("when a job uses more than one GPU-year (default limit), it quarantines too-large", () => {
    // 8 GPUs for 1 369 h = 39 427 200 GPU-s > 31 536 000.
    expect(one(row({ Start: "2026-08-01T00:00:00", End: "2026-09-27T01:00:00" })).quarantined[0].reason).to.equal("too-large");
  });

  it("when given compiled settings, it uses them as they are", () => {
    const settings = compileUsageConfig(utcConfig);
    expect(parseSlurmText(`${HEADER}\n${row()}\n`, settings).records).to.have.length(1);
  });
});

describe("compileUsageConfig", () => {
  it("when a sku in skuMap or partitionSkus is not a valid sku name, it throws ConfigError naming the setting", () => {
    expect(() => compileUsageConfig({ ...utcConfig, skuMap: { h100: "H100 SXM" } }))
      .to.throw(ConfigError)
      .with.property("setting", "skuMap.h100");
    expect(() => compileUsageConfig({ ...utcConfig, partitionSkus: { gpu: "" } }))
      .to.throw(ConfigError)
      .with.property("setting", "partitionSkus.gpu");
  });

  it("when an agreement id, the limit or the time zone is wrong, it throws ConfigError naming the setting", () => {
    expect(() => compileUsageConfig({ ...utcConfig, accounts: { a: -1n } }))
      .to.throw(ConfigError)
      .with.property("setting", "accounts.a");
    expect(() => compileUsageConfig({ ...utcConfig, maxRecordGpuSeconds: 0n }))
      .to.throw(ConfigError)
      .with.property("setting", "maxRecordGpuSeconds");
    expect(() => compileUsageConfig({ ...utcConfig, timezone: "Nowhere/Land" }))
      .to.throw(ConfigError)
      .with.property("setting", "timezone");
  });
});

describe("readSlurmFile", () => {
  it("when streaming a fixture file, it yields the same events as parsing its text", async () => {
    const events: SourceEvent<SlurmRecord>[] = [];
    const path = fixturePath("slurm", "sacct-2026-10-03.txt");
    for await (const event of readSlurmFile(path, sydneyConfig)) events.push(event);
    const streamed = collectEvents(events);
    const parsed = parseSlurmText(readFixture("slurm", "sacct-2026-10-03.txt"), sydneyConfig, path);
    expect(streamed).to.deep.equal(parsed);
  });
});

describe("slurmRecordId", () => {
  it("when given cluster, job id and billed start, it builds slurm:<Cluster>:<JobIDRaw>:<billedStart>", () => {
    expect(slurmRecordId("firmus-syd1", "4102_7", 1791021600n)).to.equal("slurm:firmus-syd1:4102_7:1791021600");
  });
});

describe("billSlurmRecord", () => {
  const record = parseSlurmText(`${HEADER}\n${row()}\n`, utcConfig, "t.txt").records[0];
  const start = at("2026-10-03T10:00:00Z");
  const end = at("2026-10-03T11:00:00Z");

  it("when the job has no watermark, it bills the whole interval", () => {
    expect(billSlurmRecord(record, undefined)).to.deep.equal({
      recordId: `slurm:c1:9001:${start}`,
      account: "startup-a",
      agreementId: 1n,
      sku: "h100-sxm",
      start,
      end,
      gpus: 8n,
      gpuSeconds: 28_800n,
      source: { file: "t.txt", line: 2 },
    } satisfies UsageRecord);
  });

  it("when the watermark is inside the interval, it bills from the watermark and names the record by it", () => {
    const billed = billSlurmRecord(record, start + 600n);
    expect(billed).to.deep.include({ recordId: `slurm:c1:9001:${start + 600n}`, start: start + 600n, gpuSeconds: 3000n * 8n });
  });

  it("when the watermark is before the start (a requeued job), it bills from the start", () => {
    expect(billSlurmRecord(record, start - 5000n)?.start).to.equal(start);
  });

  it("when the watermark is at or after the end, it bills nothing", () => {
    expect(billSlurmRecord(record, end)).to.equal(undefined);
    expect(billSlurmRecord(record, end + 1n)).to.equal(undefined);
  });

  it("when notAfter is before the end (a running job clipped in the future), it bills only up to notAfter", () => {
    expect(billSlurmRecord(record, undefined, { notAfter: start + 60n })).to.deep.include({ end: start + 60n, gpuSeconds: 480n });
    expect(billSlurmRecord(record, undefined, { notAfter: start })).to.equal(undefined);
    expect(billSlurmRecord(record, undefined, { notAfter: end + 60n })?.end).to.equal(end);
  });

  describe("when exports repeat and overlap (10-03, 10-04 up to notAfter, 10-03 again, 10-04 again)", () => {
    const watermarks = new Map<string, bigint>();
    const bill = (file: string, options: { notAfter?: bigint } = {}) => {
      const billed: UsageRecord[] = [];
      for (const rec of parseSlurmText(readFixture("slurm", file), sydneyConfig, file).records) {
        const key = `${rec.recordKey.cluster}:${rec.recordKey.jobId}`;
        const part = billSlurmRecord(rec, watermarks.get(key), options);
        if (part) {
          billed.push(part);
          watermarks.set(key, part.end);
        }
      }
      return billed;
    };
    const first = bill("sacct-2026-10-03.txt");
    const second = bill("sacct-2026-10-04.txt", { notAfter: at("2026-10-04T06:00:00Z") });
    const third = bill("sacct-2026-10-03.txt");
    const fourth = bill("sacct-2026-10-04.txt");

    it("when a job was clipped by --truncate in the first export, the second bills only the rest, under a new recordId", () => {
      const rest = second.find((r) => r.recordId.startsWith("slurm:firmus-syd1:4104:"));
      // Billed from the first export's watermark up to notAfter (06:00Z); the fourth run bills the rest.
      expect(rest).to.deep.include({ recordId: `slurm:firmus-syd1:4104:${at("2026-10-04T01:00:00Z")}`, gpuSeconds: 18_000n * 16n });
      const total = [...first, ...second, ...fourth].filter((r) => r.recordId.includes(":4104:")).reduce((s, r) => s + r.gpuSeconds, 0n);
      // True usage: 2026-10-03T10:00Z to 2026-10-04T07:30Z on 16 GPUs.
      expect(total).to.equal((at("2026-10-04T07:30:00Z") - at("2026-10-03T10:00:00Z")) * 16n);
    });

    it("when a finished job appears in both exports, it is billed once", () => {
      expect(second.some((r) => r.recordId.includes(":4115:"))).to.equal(false);
    });

    it("when notAfter stops a running job, the next run bills the remainder exactly", () => {
      const parts = [...second, ...fourth].filter((r) => r.recordId.includes(":4105:"));
      expect(parts.map((p) => [p.start, p.end])).to.deep.equal([
        [at("2026-10-03T22:00:00Z"), at("2026-10-04T06:00:00Z")],
        [at("2026-10-04T06:00:00Z"), at("2026-10-04T13:00:00Z")],
      ]);
    });

    it("when an export is fed again, nothing is billed twice", () => {
      expect(third).to.deep.equal([]);
      expect(fourth.map((r) => r.recordId.split(":")[2])).to.deep.equal(["4104", "4105"]);
      expect(bill("sacct-2026-10-04.txt")).to.deep.equal([]);
    });
  });
});
