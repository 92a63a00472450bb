// Hardhat 3 configuration. The Solidity compiler comes from the npm package `solc`
// (pinned exactly in package.json) because compiler downloads are not reachable here.
import { createRequire } from "node:module";
import { defineConfig } from "hardhat/config";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";

const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    version: "0.8.28",
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
    },
  },
  paths: {
    sources: "./contracts",
    tests: { mocha: "./tests/contracts" },
    cache: "./.cache/hardhat",
    artifacts: "./artifacts",
  },
  networks: {
    // `hardhat node --hostname 127.0.0.1 --port N` serves this in-process network.
    hardhat: { type: "edr-simulated", chainId: 31337 },
  },
});
