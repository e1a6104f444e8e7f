// The usage oracle's fast paths against the reference implementations they replace: hash-wasm's
// Keccak against @noble/hashes, leaf hashes and trees against OpenZeppelin's
// StandardMerkleTree, the hand-encoded EIP-712 digest against viem, the number slicing of
// packs against sliceRecord, the block line reader against textLines.
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keccak_256 } from "@noble/hashes/sha3";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { standardLeafHash } from "@openzeppelin/merkle-tree/dist/hashes";
import { encodeAbiParameters, encodeFunctionData, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { hashUsageBatch, ledgerDomain, skuToBytes32, sortSignaturesBySigner, usageBatchTypes, type SignerSignature, type UsageBatch } from "../../sdk/eip712";
import { fileLineBlocks, textLines } from "../../oracle/sources/lines";
import { signBatch, submitUsageCalldata, usageBatchDigest } from "../../oracle/usage/batch";
import { LeafHasher, usageTreeNodes, usageTreeOf, USAGE_LEAF_ENCODING, type UsageLeaf } from "../../oracle/usage/evidence";
import { keccak256Bytes, keccakLoaded, loadKeccak } from "../../sdk/keccak";
import { LeafHashPool } from "../../oracle/usage/hashPool";
import { PackBuilder, packLines, packSlices, packSliceLeaf } from "../../oracle/usage/packs";
import { sliceRecord, WindowGrid } from "../../oracle/usage/slicing";
import { UsageState, type NewPack } from "../../oracle/state/usageState";
import { prng } from "../../scripts/lib/prng";
import { until } from "../helpers/until";

const H = 1_790_000_000n - (1_790_000_000n % 3600n);
const LEDGER = "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853" as const;
const PARTNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const;

function leaf(i: number, random: () => number): UsageLeaf {
  const ids = [
    `slurm:syd1:${100_000 + i}:${H + BigInt(i)}`,
    `meter-${i}-${"é".repeat(i % 4)}-${"x".repeat(i % 50)}`,
    `日本-${i}`,
    "",
  ];
  const agreement = [BigInt(i + 1), 2n ** 53n + BigInt(i), 2n ** 256n - 1n - BigInt(i)][i % 3];
  const uint64 = (n: bigint) => (random() < 0.1 ? 2n ** 64n - 1n - n : n);
  return [
    ids[i % ids.length],
    agreement.toString(),
    skuToBytes32(i % 2 ? "h100-sxm" : "b200"),
    uint64(H + BigInt(i)).toString(),
    uint64(H + 3600n).toString(),
    uint64(BigInt(Math.floor(random() * 1e9))).toString(),
  ];
}

describe("usage oracle fast paths", function () {
  this.timeout(60_000);
  before(async function () {
    await loadKeccak();
    expect(keccakLoaded()).to.equal(true);
  });

  describe("keccak256Bytes (hash-wasm)", function () {
    it("when given 0 to 600 bytes, it equals @noble/hashes keccak_256", function () {
      const random = prng(1);
      for (let length = 0; length <= 600; length++) {
        const data = Uint8Array.from({ length }, () => Math.floor(random() * 256));
        expect(keccak256Bytes(data).toString("hex"), `length ${length}`).to.equal(Buffer.from(keccak_256(data)).toString("hex"));
      }
    });
  });

  describe("LeafHasher", function () {
    it("when leaves hold long, non-ASCII or empty recordIds and uint256/uint64 extremes, each hash equals standardLeafHash", function () {
      const random = prng(2);
      const leaves = Array.from({ length: 60 }, (_, i) => leaf(i, random));
      const hasher = new LeafHasher();
      for (const l of leaves) hasher.addLeaf(l);
      const hashes = hasher.hash();
      leaves.forEach((l, i) => expect(`0x${hashes.toString("hex", 32 * i, 32 * i + 32)}`, l[0]).to.equal(standardLeafHash(USAGE_LEAF_ENCODING, l)));
      // numbers and bigints give the same encoding
      hasher.add("r", 7, skuToBytes32("b200"), Number(H), Number(H + 60n), 480);
      hasher.add("r", 7n, skuToBytes32("b200"), H, H + 60n, 480n);
      const both = hasher.hash();
      expect(both.subarray(0, 32).equals(both.subarray(32, 64))).to.equal(true);
    });

    it("when more leaves are added than one 1 MiB block holds, every hash equals the leaf hashed alone and standardLeafHash", function () {
      const random = prng(7);
      const leaves = Array.from({ length: 40_000 }, (_, i) => leaf(i, random));
      const hasher = new LeafHasher();
      for (const l of leaves) hasher.addLeaf(l);
      expect(hasher.count).to.equal(leaves.length);
      const hashes = hasher.hash();
      expect(hashes.length).to.equal(32 * leaves.length);
      const alone = new LeafHasher();
      const differ = leaves.filter((l, i) => {
        alone.addLeaf(l);
        return !alone.hash().equals(hashes.subarray(32 * i, 32 * i + 32));
      });
      expect(differ).to.deep.equal([]);
      for (let i = 0; i < leaves.length; i += 397) {
        expect(`0x${hashes.toString("hex", 32 * i, 32 * i + 32)}`, leaves[i][0]).to.equal(standardLeafHash(USAGE_LEAF_ENCODING, leaves[i]));
      }
      // the hasher starts over after hash()
      expect(hasher.count).to.equal(0);
      expect(hasher.hash().length).to.equal(0);
    });

    describe("on the worker thread", function () {
      /** `keccak256(keccak256(abi.encode(leaf)))` with viem's ABI encoder and @noble/hashes. */
      const reference = (l: UsageLeaf) =>
        Buffer.from(keccak_256(keccak_256(Buffer.from(encodeAbiParameters(USAGE_LEAF_ENCODING.map((type) => ({ type })), l).slice(2), "hex"))));

      it("when random leaves cross many block boundaries, the hashes equal the main thread's and viem + @noble's, whether the worker or this thread hashed a block", async function () {
        const pool = new LeafHashPool({ slots: 3, slotBytes: 4096 });
        try {
          await pool.ready();
          const random = prng(8);
          const leaves = Array.from({ length: 1500 }, (_, i) => leaf(Math.floor(random() * 1e6) + i, random));
          const want = Buffer.concat(leaves.map(reference));
          for (const budget of [600, 2048, 4096]) {
            const worker = new LeafHasher({ budget, pool });
            const here = new LeafHasher({ budget, pool: null });
            for (const [i, l] of leaves.entries()) {
              worker.addLeaf(l);
              here.addLeaf(l);
              // let the worker catch up now and then, so that both it and this thread hash blocks
              if (i % 300 === 299) await until("the worker", () => !pool.busy(), 20_000); // the worker answers in its own time
            }
            const hashes = worker.hash();
            expect(hashes.equals(here.hash()), `budget ${budget}`).to.equal(true);
            const differ = leaves.filter((_, i) => !hashes.subarray(32 * i, 32 * i + 32).equals(want.subarray(32 * i, 32 * i + 32)));
            expect(differ, `budget ${budget}`).to.deep.equal([]);
          }
          expect(pool.stats.worker, "blocks the worker hashed").to.be.above(10);
          expect(pool.stats.taken, "blocks taken back").to.be.above(0);
          expect(pool.busy()).to.equal(false);
        } finally {
          await pool.close();
        }
      });

      it("when packs are built over many blocks, they equal the packs built on the main thread", async function () {
        const grid = new WindowGrid({ cuts: [H + 1234n, H + 7200n] });
        const dir = mkdtempSync(join(tmpdir(), "dsx-usage-packs-worker-"));
        const pool = new LeafHashPool({ slots: 2, slotBytes: 8192 });
        const rows: unknown[][] = [];
        try {
          await pool.ready();
          for (const hashing of [{ budget: 8192, pool }, { pool: null }]) {
            const state = UsageState.open(join(dir, String(rows.length)), { chainId: 31337, ledger: LEDGER, partner: PARTNER });
            try {
              const builder = new PackBuilder(hashing);
              const random = prng(9);
              for (let i = 0; i < 2000; i++) {
                const start = H - 1800n + BigInt(Math.floor(random() * 25_000));
                const end = start + 1n + BigInt(Math.floor(random() * 9000));
                const gpus = BigInt(1 + (i % 8));
                builder.addRecord(
                  { recordId: `slurm:syd1:${i}:${start}`, account: "a", agreementId: BigInt(1 + (i % 3)), sku: "b200", start, end, gpus, gpuSeconds: (end - start) * gpus, source: { file: "f", line: i + 2 } },
                  grid,
                );
              }
              state.transaction(() => builder.write(state, "f"));
              const ids = state.db.prepare("SELECT id FROM packs ORDER BY id").all() as { id: number }[];
              rows.push(
                ids.map(({ id }) => {
                  const { pieceStart, sliceCount, linesJson, slicesJson, hashes } = state.getPack(id) as NewPack;
                  return [pieceStart, sliceCount, linesJson, slicesJson, hashes.toString("hex")];
                }),
              );
            } finally {
              state.close();
            }
          }
          expect(rows[0]).to.deep.equal(rows[1]);
          expect(pool.stats.worker + pool.stats.taken, "blocks handed over").to.be.above(50);
        } finally {
          await pool.close();
        }
      });

      it("when the worker fails on a block, hash() throws with its reason and the hasher can start over", async function () {
        process.env.DSX_USAGE_FAULT = "leaf-hash-worker";
        const pool = new LeafHashPool({ slots: 2, slotBytes: 4096 });
        delete process.env.DSX_USAGE_FAULT;
        try {
          await pool.ready();
          const random = prng(10);
          const hasher = new LeafHasher({ budget: 4096, pool });
          for (let i = 0; i < 20; i++) hasher.addLeaf(leaf(i, random));
          await until("the worker", () => !pool.busy(), 20_000);
          expect(() => hasher.hash()).to.throw(/leaf hash worker thread failed \(injected fault/);
          expect(hasher.count).to.equal(0);
          // a hasher on the same pool is refused; without the worker it hashes
          const again = new LeafHasher({ budget: 4096, pool });
          expect(() => Array.from({ length: 40 }, (_, i) => again.addLeaf(leaf(i, random)))).to.throw(/leaf hash worker thread failed/);
          const here = new LeafHasher({ budget: 4096, pool: null });
          here.addLeaf(leaf(0, random));
          expect(here.hash().length).to.equal(32);
        } finally {
          await pool.close();
        }
      });

      it("when the worker cannot start, adding a block throws instead of hashing it silently", async function () {
        const pool = new LeafHashPool({ slots: 2, slotBytes: 4096, workerFile: join(tmpdir(), "dsx-no-such-worker.cjs") });
        let refused: unknown;
        await pool.ready().catch((err: unknown) => (refused = err));
        expect(String(refused)).to.match(/leaf hash worker thread failed \(Cannot find module/);
        const random = prng(11);
        const hasher = new LeafHasher({ budget: 4096, pool });
        expect(() => Array.from({ length: 40 }, (_, i) => hasher.addLeaf(leaf(i, random)))).to.throw(/leaf hash worker thread failed/);
      });
    });

    it("when a value does not fit its type, it throws", function () {
      const hasher = new LeafHasher();
      expect(() => hasher.add("r", -1n, skuToBytes32("b200"), 0, 1, 1)).to.throw(/not a uint256/);
      expect(() => hasher.add("r", 1n, skuToBytes32("b200"), 0, 2n ** 64n, 1)).to.throw(/not a uint64/);
    });
  });

  describe("usageTreeOf / usageTreeNodes", function () {
    it("when built for 1 to 300 leaves (repeated leaves included), the dump equals StandardMerkleTree.of", function () {
      const random = prng(3);
      for (const n of [1, 2, 3, 4, 5, 17, 64, 300]) {
        const leaves = Array.from({ length: n }, (_, i) => leaf(i, random));
        if (n > 3) leaves[n - 1] = leaves[0];
        expect(usageTreeOf(leaves).dump(), `${n} leaves`).to.deep.equal(StandardMerkleTree.of(leaves, USAGE_LEAF_ENCODING).dump());
      }
    });

    it("when leaf hashes share their first bytes or repeat, the order is by whole hash and then by position", function () {
      const random = prng(4);
      const hashes = Buffer.alloc(32 * 40);
      for (let i = 0; i < 40; i++) {
        for (let b = 0; b < 32; b++) hashes[32 * i + b] = Math.floor(random() * 256);
        if (i % 3 === 0) hashes.writeUInt32BE(0xdeadbeef, 32 * i);
        if (i % 7 === 0) hashes.copy(hashes, 32 * i, 0, 32);
      }
      const { nodes, treeIndex } = usageTreeNodes(hashes);
      // reference: OpenZeppelin's construction with a comparator sort
      const order = Array.from({ length: 40 }, (_, i) => i).sort(
        (a, b) => Buffer.compare(hashes.subarray(32 * a, 32 * a + 32), hashes.subarray(32 * b, 32 * b + 32)) || a - b,
      );
      const tree: Buffer[] = new Array(79);
      order.forEach((leafIndex, i) => (tree[78 - i] = hashes.subarray(32 * leafIndex, 32 * leafIndex + 32)));
      for (let i = 38; i >= 0; i--) {
        const [a, b] = [tree[2 * i + 1], tree[2 * i + 2]];
        tree[i] = Buffer.from(keccak_256(Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a])));
      }
      expect(nodes.toString("hex")).to.equal(Buffer.concat(tree).toString("hex"));
      order.forEach((leafIndex, i) => expect(treeIndex[leafIndex]).to.equal(78 - i));
    });
  });

  describe("usageBatchDigest / signBatch", function () {
    it("when batches have 0 to 90 lines and large values, digest, signature and calldata equal viem's hashTypedData, signTypedData and encodeFunctionData", async function () {
      const random = prng(5);
      const account = privateKeyToAccount("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba");
      for (const [chainId, n] of [
        [31337, 0],
        [1, 1],
        [10, 2],
        [8453, 90],
      ] as const) {
        const domain = ledgerDomain(chainId, LEDGER);
        const batch: UsageBatch = {
          partner: PARTNER,
          sequence: BigInt(n) * 2n ** 40n,
          periodStart: H,
          periodEnd: H + 3600n,
          recordsRoot: `0x${Buffer.from(keccak_256(String(n))).toString("hex")}`,
          lines: Array.from({ length: n }, (_, i) => ({
            agreementId: i === 0 ? 2n ** 256n - 1n : BigInt(i + 1),
            sku: skuToBytes32(i % 2 ? "h100-sxm" : "b200"),
            gpuSeconds: i === 1 ? 2n ** 64n - 1n : BigInt(Math.floor(random() * 1e9)),
          })),
        };
        expect(usageBatchDigest(domain, batch)).to.equal(hashUsageBatch(domain, batch));
        const [signed] = await signBatch([account], domain, batch);
        expect(signed.signature).to.equal(await account.signTypedData({ domain, types: usageBatchTypes, primaryType: "UsageBatch", message: batch }));
        const signatures: SignerSignature[] = [signed, { signer: LEDGER, signature: `0x${"ab".repeat(n % 3 === 0 ? 65 : 64)}` as Hex }].slice(0, 1 + (n % 2));
        expect(submitUsageCalldata(batch, signatures)).to.equal(
          encodeFunctionData({ abi: revenueShareLedgerAbi, functionName: "submitUsage", args: [batch, sortSignaturesBySigner(signatures)] }),
        );
      }
    });
  });

  describe("PackBuilder", function () {
    it("when records are sliced by numbers (full billing) or by sliceRecord (partial), packs hold exactly sliceRecord's slices, sums and hashes", function () {
      const random = prng(6);
      const grid = new WindowGrid({ cuts: [H + 1234n, H + 7200n, H + 20_000n, H + 20_001n] });
      for (let t = 0; t < 200; t++) {
        const x = H - 3600n + BigInt(Math.floor(random() * 30_000));
        expect(grid.pieceAtSeconds(Number(x))).to.deep.equal(Object.fromEntries(Object.entries(grid.pieceAt(x)).map(([k, v]) => [k, Number(v)])));
      }
      const dir = mkdtempSync(join(tmpdir(), "dsx-usage-packs-"));
      const state = UsageState.open(dir, { chainId: 31337, ledger: LEDGER, partner: PARTNER });
      try {
        const builder = new PackBuilder();
        const expected = new Map<string, { leaves: UsageLeaf[]; sums: Map<string, bigint> }>();
        for (let i = 0; i < 130; i++) {
          // the last ten after 2038 (times above 2^31)
          const start = (i < 120 ? H : 3_000_000_000n) - 1800n + BigInt(Math.floor(random() * 25_000));
          const end = start + 1n + BigInt(Math.floor(random() * 9000));
          const gpus = BigInt(1 + Math.floor(random() * 8));
          const full = (end - start) * gpus;
          const record = {
            recordId: i % 5 === 0 ? `meter-${i}` : `slurm:syd1:${i}:${start}`,
            account: "a",
            agreementId: BigInt(1 + (i % 3)),
            sku: i % 2 ? "h100-sxm" : "b200",
            start,
            end,
            gpus,
            gpuSeconds: i % 5 === 0 ? full - BigInt(Math.floor(random() * Number(full))) : full,
            source: { file: "f", line: i + 2 },
          };
          const slices = sliceRecord(record, grid);
          expect(builder.addRecord(record, grid)).to.equal(slices.length);
          for (const s of slices) {
            const key = `${s.pieceStart}:${s.pieceEnd}`;
            const group = expected.get(key) ?? { leaves: [] as UsageLeaf[], sums: new Map<string, bigint>() };
            const l: UsageLeaf = [s.recordId, s.agreementId.toString(), skuToBytes32(s.sku), s.sliceStart.toString(), s.sliceEnd.toString(), s.gpuSeconds.toString()];
            group.leaves.push(l);
            const lineKey = `${s.agreementId}:${skuToBytes32(s.sku)}`;
            group.sums.set(lineKey, (group.sums.get(lineKey) ?? 0n) + s.gpuSeconds);
            expected.set(key, group);
          }
        }
        state.transaction(() => builder.write(state, "f"));
        const packs = state.db.prepare("SELECT id, piece_start, piece_end FROM packs").all() as { id: number; piece_start: number; piece_end: number }[];
        expect(packs.length).to.equal(expected.size);
        for (const row of packs) {
          const pack = state.getPack(row.id) as NewPack;
          const want = expected.get(`${row.piece_start}:${row.piece_end}`)!;
          const leaves = packSlices(pack).map(packSliceLeaf);
          expect(leaves).to.deep.equal(want.leaves);
          expect(new Map(packLines(pack.linesJson).map((l) => [`${l.agreementId}:${l.sku}`, l.gpuSeconds]))).to.deep.equal(want.sums);
          leaves.forEach((l, i) => expect(`0x${pack.hashes.toString("hex", 32 * i, 32 * i + 32)}`).to.equal(standardLeafHash(USAGE_LEAF_ENCODING, l)));
        }
      } finally {
        state.close();
      }
    });
  });

  describe("fileLineBlocks", function () {
    it("when lines end in \\n, \\r\\n or \\r and a block boundary splits a \\r\\n or a character, it yields textLines' lines", async function () {
      const dir = mkdtempSync(join(tmpdir(), "dsx-usage-lines-"));
      const file = join(dir, "lines.txt");
      for (const text of ["", "a", "a\n", "\ufeffx\r\ny\rz\n\n", "a\r", "a\r\r\n\n", "\n\n", "é\r\nü€\n𝄞", "x\ry\r\n"]) {
        writeFileSync(file, text);
        const want = [...textLines(text)];
        for (const blockBytes of [1, 2, 3, 5, 64]) {
          const got: { text: string; line: number }[] = [];
          for await (const block of fileLineBlocks(file, blockBytes)) got.push(...block);
          expect(got, `${JSON.stringify(text)} in blocks of ${blockBytes}`).to.deep.equal(want);
        }
      }
    });
  });
});
