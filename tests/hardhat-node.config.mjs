// The Hardhat node the .NET integration tests start (tests/Loyalty.Chain.IntegrationTests/Infrastructure/HardhatNode.cs):
// the same in-process network as hardhat.config.ts (edr-simulated, chain id 31337, default accounts and automine),
// without the compiler and the mocha/ethers toolbox a node does not use. Loading those plugins cost each node start
// about a third of its CPU, and the suite starts about two hundred nodes.
import { defineConfig } from "hardhat/config";

export default defineConfig({
  paths: { cache: "../.cache/hardhat-node" },
  networks: {
    hardhat: { type: "edr-simulated", chainId: 31337 },
  },
});
