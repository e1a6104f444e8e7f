#!/usr/bin/env node
// `dsx` (package.json "bin"): runs cli/main.ts through tsx's register API, since nothing is precompiled.
"use strict";
const path = require("node:path");

// A reader that goes away early (`dsx … --help | head`) closes the pipe: stop writing and exit quietly, as
// a command in a pipeline should, instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err && err.code === "EPIPE") process.exit(0);
    throw err;
  });
}

/** Prints an error that escaped the command line (it failed to load, say) whole, without a stack trace. */
function fail(err) {
  const text = err instanceof Error ? err.message : String(err);
  process.stderr.write(`dsx: error: ${text.replace(/\n/g, "\n  ")}\n`);
  if (process.env.DSX_DEBUG === "1" && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}

let runCli;
try {
  require("tsx/cjs/api").register();
  ({ runCli } = require(path.join(__dirname, "..", "cli", "main.ts")));
} catch (err) {
  fail(err);
}

runCli(process.argv.slice(2)).then((code) => process.exit(code), fail);
