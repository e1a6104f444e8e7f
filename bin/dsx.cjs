#!/usr/bin/env node
// `dsx` (package.json "bin"): runs cli/main.ts through tsx's register API, since nothing is precompiled.
"use strict";
const path = require("node:path");

require("tsx/cjs/api").register();
const { runCli } = require(path.join(__dirname, "..", "cli", "main.ts"));

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`dsx: error: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}\n`);
    process.exit(1);
  },
);
