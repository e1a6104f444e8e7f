// The worker thread of oracle/usage/hashPool.ts: hashes the blocks of leaf encodings the main thread marks
// ready in shared memory, `keccak256(keccak256(encoding))` each with hash-wasm, exactly as
// oracle/usage/hashing.ts leafHashesInto does. Plain CommonJS so that it loads under node and tsx alike.
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
const { createKeccak } = require("hash-wasm");

const { control, bytes, tables, outputs, errors } = workerData;
// Slot states and control layout: as in hashPool.ts.
const READY = 1;
const TAKEN = 2;
const DONE = 3;
const FAILED = 4;
const FIELDS = 3;
// Fault injection for the tests (as oracle/usage/faults.ts): a block fails instead of being hashed.
const fault = process.env.DSX_USAGE_FAULT === "leaf-hash-worker";

createKeccak(256).then((keccak) => {
  const hash = (data) => keccak.init().update(data).digest("binary");
  /** Hashes every ready block, oldest first, until none is left. */
  const work = () => {
    for (;;) {
      let slot = -1;
      for (let s = 0; s < bytes.length; s++) {
        if (Atomics.load(control, FIELDS * s) === READY && (slot < 0 || control[FIELDS * s + 2] < control[FIELDS * slot + 2])) slot = s;
      }
      if (slot < 0) return;
      // The main thread may take a ready block back to hash it itself.
      if (Atomics.compareExchange(control, FIELDS * slot, READY, TAKEN) !== READY) continue;
      try {
        if (fault) throw new Error("injected fault (DSX_USAGE_FAULT=leaf-hash-worker)");
        const data = bytes[slot];
        const table = tables[slot];
        const out = outputs[slot];
        const count = control[FIELDS * slot + 1];
        for (let i = 0; i < count; i++) {
          const from = table[2 * i];
          out.set(hash(hash(data.subarray(from, from + table[2 * i + 1]))), 32 * i);
        }
        Atomics.store(control, FIELDS * slot, DONE);
      } catch (err) {
        errors.postMessage(err instanceof Error ? err.message : String(err));
        Atomics.store(control, FIELDS * slot, FAILED);
      }
    }
  };
  parentPort.on("message", work);
  parentPort.postMessage("ready");
  work();
});
