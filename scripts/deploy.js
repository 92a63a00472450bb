// Deploys LoyaltyPoints and LoyaltyCollectible to a node and prints their addresses as JSON.
//
//   node scripts/deploy.js http://127.0.0.1:8545 [outFile]
//
// The deployer is the node's first unlocked account (a local Hardhat node); it becomes admin and
// is granted the minter, pauser, drop-admin and claim-signer roles.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [rpcUrl = "http://127.0.0.1:8545", outFile] = process.argv.slice(2);

const artifact = (name) =>
  JSON.parse(fs.readFileSync(path.join(root, `artifacts/contracts/${name}.sol/${name}.json`), "utf8"));

const provider = new ethers.JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
const admin = await provider.getSigner(0);
const adminAddress = await admin.getAddress();

async function deploy(name, args) {
  const a = artifact(name);
  const contract = await new ethers.ContractFactory(a.abi, a.bytecode, admin).deploy(...args);
  await contract.waitForDeployment();
  return contract;
}

const points = await deploy("LoyaltyPoints", ["Loyalty Points", "LPT", 0, adminAddress]);
const collectible = await deploy("LoyaltyCollectible", ["Loyalty Collectibles", "LCOL", adminAddress]);
for (const role of ["MINTER_ROLE", "PAUSER_ROLE"]) {
  await (await points.grantRole(await points[role](), adminAddress)).wait();
}
for (const role of ["MINTER_ROLE", "PAUSER_ROLE", "DROP_ADMIN_ROLE", "CLAIM_SIGNER_ROLE"]) {
  await (await collectible.grantRole(await collectible[role](), adminAddress)).wait();
}

const { chainId } = await provider.getNetwork();
const result = {
  chainId: Number(chainId),
  rpcUrl,
  admin: adminAddress,
  loyaltyPoints: await points.getAddress(),
  loyaltyCollectible: await collectible.getAddress(),
};
if (outFile) fs.writeFileSync(outFile, JSON.stringify(result, null, 2) + "\n");
console.log(JSON.stringify(result));
