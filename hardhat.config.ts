import { HardhatUserConfig, subtask } from "hardhat/config";
import {
  TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD,
  TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS,
} from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import { writeDoctoredSources } from "./scripts/lib/doctored";

// The auditor's doctored libraries (contracts/test/doctored/, git-ignored) are generated from the real
// contracts/libraries/*.sol before every compile (compile, test, coverage, npm ci's prepare); files are rewritten only
// when their content changes, so the compile cache holds. See scripts/lib/doctored.ts.
subtask(TASK_COMPILE_SOLIDITY_GET_SOURCE_PATHS, async (_args, hre, runSuper) => {
  writeDoctoredSources(hre.config.paths.root);
  return runSuper();
});

// The machines cannot download compilers: serve the `solc` npm package's soljson.js.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- solc ships no types; its version is in its package.json
const SOLC_VERSION: string = require("solc/package.json").version;
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) =>
  args.solcVersion === SOLC_VERSION
    ? {
        compilerPath: require.resolve("solc/soljson.js"),
        isSolcJs: true,
        version: SOLC_VERSION,
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- solc ships no types
        longVersion: require("solc").version(),
      }
    : runSuper(),
);

const remote = (envUrl: string | undefined) =>
  envUrl ? { url: envUrl, accounts: process.env.DEPLOYER_PRIVATE_KEY ? [process.env.DEPLOYER_PRIVATE_KEY] : [] } : undefined;

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "cancun" },
  },
  networks: {
    // A fixed start keeps test clocks deterministic and lets PROTOCOL §13 run on its own dates.
    hardhat: { hardfork: "cancun", allowUnlimitedContractSize: false, initialDate: "2026-09-01T00:00:00Z" },
    localhost: { url: process.env.DSX_RPC_URL ?? process.env.RPC_URL ?? "http://127.0.0.1:8545" },
    ...(remote(process.env.REMOTE_RPC_URL) ? { remote: remote(process.env.REMOTE_RPC_URL)! } : {}),
  },
  mocha: {
    timeout: 120_000,
    reporter: "./test/helpers/summary-reporter.cjs",
  },
  gasReporter: { enabled: process.env.REPORT_GAS === "true", offline: true, gasPrice: 1, tokenPrice: "1" },
  typechain: { outDir: "typechain-types", target: "ethers-v6" },
};

export default config;
