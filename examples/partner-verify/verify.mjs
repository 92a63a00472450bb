#!/usr/bin/env node
// A partner checks a Loyalty.Chain balance and a signed attestation against the chain itself, trusting the
// service for nothing: every figure the API states is re-read from a node the partner chooses, and the
// attestation is verified offline with plain EIP-712 (ethers.verifyTypedData).
//
//   node verify.mjs --rpc URL --api URL --program ID --address 0x… [--key PARTNER_KEY] [--min N] [--tier T]
//
// The partner key may come from the environment (LC_PARTNER_KEY) instead, to keep it out of the process list.
//
// Prints one JSON line and exits 0 when every check holds, 1 when a check fails, 2 on a usage or network error.
import { parseArgs } from "node:util";
import { ethers } from "ethers";

const { values: args } = parseArgs({
  options: {
    rpc: { type: "string" }, api: { type: "string" }, program: { type: "string" }, address: { type: "string" },
    key: { type: "string" }, min: { type: "string" }, tier: { type: "string" },
  },
});
for (const required of ["rpc", "api", "program", "address"]) {
  if (!args[required]) {
    console.error(`missing --${required}\nusage: node verify.mjs --rpc URL --api URL --program ID --address 0x… [--key KEY] [--min N] [--tier T]`);
    process.exit(2);
  }
}

const ERC20 = [
  "function balanceOf(address) view returns (uint256)",
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
];
args.key ??= process.env.LC_PARTNER_KEY || undefined;
const api = args.api.replace(/\/+$/, "");
const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); return ok; };
const same = (a, b) => typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();

async function apiCall(path, init = {}) {
  const response = await fetch(api + path, init);
  const body = await response.json().catch(() => null);
  return { status: response.status, body };
}

/** The block at `number` on the partner's node, and whether its hash is the one claimed. */
async function blockMatches(provider, number, hash) {
  const block = await provider.getBlock(Number(number));
  return block !== null && same(block.hash, hash);
}

async function main() {
  const provider = new ethers.JsonRpcProvider(args.rpc, undefined, { staticNetwork: true });
  try {
    const chainId = (await provider.getNetwork()).chainId;
    const holder = ethers.getAddress(args.address);

    // (a) + (b): the public balance answer, re-read at its block from our own node.
    const claimed = await apiCall(`/v1/public/programs/${args.program}/balances/${holder}`);
    if (claimed.status !== 200) throw new Error(`balance request failed: ${claimed.status} ${JSON.stringify(claimed.body)}`);
    const b = claimed.body;
    const token = new ethers.Contract(b.contract, ERC20, provider);
    const atBlock = { blockTag: Number(b.blockNumber) };
    const onChain = await token.balanceOf(holder, atBlock);
    const balanceVerified = [
      check(BigInt(b.chainId) === chainId, "balance.chainId differs from the node's chain"),
      check(same(b.address, holder), "balance.address is not the address asked for"),
      check(await blockMatches(provider, b.blockNumber, b.blockHash), "balance.blockHash is not the node's block at blockNumber"),
      check(onChain === BigInt(b.balance), `balance ${b.balance} differs from balanceOf on chain (${onChain})`),
      check(Number(await token.decimals(atBlock)) === b.decimals, "decimals differ from the contract's"),
      check((await token.symbol(atBlock)) === b.symbol, "symbol differs from the contract's"),
    ].every(Boolean);

    // (c): an attestation, verified offline against the published key, and its statement against the chain.
    let attestationVerified = null;
    let attestation = null;
    if (args.key) {
      const published = await apiCall(`/v1/public/programs/${args.program}/attestation-key`);
      if (published.status !== 200) throw new Error(`attestation key request failed: ${published.status}`);
      const request = { address: holder, ...(args.min !== undefined && { minBalance: args.min }), ...(args.tier !== undefined && { tier: args.tier }) };
      const signed = await apiCall(`/v1/programs/${args.program}/attestations`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": args.key },
        body: JSON.stringify(request),
      });
      if (signed.status !== 200) {
        attestationVerified = check(false, `the service refused to attest: ${signed.status} ${signed.body?.code ?? ""}`.trim());
      } else {
        const { domain, message } = signed.body.typedData;
        // ethers derives EIP712Domain from the domain object itself and refuses it among the types.
        const { EIP712Domain: _, ...types } = signed.body.typedData.types;
        const recovered = ethers.verifyTypedData(domain, types, message, signed.body.signature);
        const pd = published.body.domain;
        attestationVerified = [
          check(same(recovered, published.body.address), "the signature does not recover to the published attestation key"),
          check(pd.name === domain.name && pd.version === domain.version && BigInt(pd.chainId) === BigInt(domain.chainId)
            && same(pd.verifyingContract, domain.verifyingContract), "the typed-data domain is not the published one"),
          check(BigInt(domain.chainId) === chainId, "the attestation is for another chain"),
          check(same(message.token, b.contract) && same(domain.verifyingContract, b.contract), "the attestation is about another token"),
          check(same(message.holder, holder), "the attestation is about another holder"),
          check(args.min === undefined || BigInt(message.minBalance) === BigInt(args.min), "minBalance is not the one asked for"),
          check(message.tier === (args.tier ?? ""), "tier is not the one asked for"),
          check(await blockMatches(provider, message.blockNumber, message.blockHash), "the attested block is not on the node's chain"),
          check((await token.balanceOf(holder, { blockTag: Number(message.blockNumber) })) >= BigInt(message.minBalance),
            "the holder had less than minBalance at the attested block"),
        ].every(Boolean);
        attestation = { minBalance: message.minBalance, tier: message.tier, blockNumber: message.blockNumber, signer: recovered };
      }
    }

    const ok = balanceVerified && attestationVerified !== false;
    console.log(JSON.stringify({
      balanceVerified, attestationVerified, programId: b.programId, chainId: b.chainId, contract: b.contract, address: holder,
      balance: b.balance, blockNumber: b.blockNumber, blockHash: b.blockHash, attestation, failures,
    }));
    return ok ? 0 : 1;
  } finally {
    provider.destroy();
  }
}

try {
  process.exitCode = await main();
} catch (error) {
  console.log(JSON.stringify({ balanceVerified: false, attestationVerified: false, error: String(error?.message ?? error) }));
  process.exitCode = 2;
}
