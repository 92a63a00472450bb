// Shared helpers for the contract tests: EIP-712 type definitions, domains and local signing keys.
//
// Holders in these tests are mostly local ethers Wallets that never send a transaction: that is the
// product's model (members sign, the operator relays and pays gas) and it lets the tests sign typed
// data locally for any domain, including a wrong chainId, without going through the node.

export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export const BURN_TYPES = {
  Burn: [
    { name: "owner", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export const POINTS_TRANSFER_TYPES = {
  Transfer: [
    { name: "owner", type: "address" },
    { name: "to", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export const CLAIM_TYPES = {
  Claim: [
    { name: "recipient", type: "address" },
    { name: "dropId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export const NFT_TRANSFER_TYPES = {
  Transfer: [
    { name: "from", type: "address" },
    { name: "to", type: "address" },
    { name: "tokenId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** The EIP-712 domain of a deployed LoyaltyPoints / LoyaltyCollectible (name = token name, version "1"). */
export async function domainOf(contract, overrides = {}) {
  const [name, network, verifyingContract] = await Promise.all([
    contract.name(),
    contract.runner.provider.getNetwork(),
    contract.getAddress(),
  ]);
  return { name, version: "1", chainId: network.chainId, verifyingContract, ...overrides };
}

/** Deterministic local wallets (not connected to a provider). */
export function makeWallets(ethers, count, tag) {
  return Array.from({ length: count }, (_, i) => new ethers.Wallet(ethers.id(`${tag}-${i}`)));
}

/** Signs `value` of `types` under `domain` with `wallet` and returns the 65-byte signature. */
export function sign(wallet, domain, types, value) {
  return wallet.signTypedData(domain, types, value);
}

/** The address a signature recovers to for the given payload (what the contract will see). */
export function recover(ethers, domain, types, value, signature) {
  return ethers.verifyTypedData(domain, types, value, signature);
}
