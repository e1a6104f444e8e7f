// The project's Hardhat config with chain id 31338: a `hardhat node` started with it stands for a public
// network in the `dsx deploy` tests (no MockUSDC, no raw keys, roles given explicitly).
import path from "node:path";
import type { HardhatUserConfig } from "hardhat/config";
import base from "../../hardhat.config";

const config: HardhatUserConfig = {
  ...base,
  paths: { root: path.join(__dirname, "..", "..") },
  networks: { ...base.networks, hardhat: { ...base.networks?.hardhat, chainId: 31338 } },
};

export default config;
