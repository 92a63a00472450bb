// The browser's own view of the chain: an injected EIP-1193 wallet (MetaMask style) and a direct balanceOf read
// from the node, so a member can check what the service says without trusting it.

export function provider() {
  return typeof window !== "undefined" ? window.ethereum : undefined;
}

export async function requestAccount(eth) {
  const accounts = await eth.request({ method: "eth_requestAccounts" });
  if (!accounts?.length) throw new Error("the wallet gave no account");
  return accounts[0];
}

/** EIP-191 personal_sign of a UTF-8 message (the SIWE text). */
export async function personalSign(eth, address, message) {
  const hex = "0x" + Array.from(new TextEncoder().encode(message), (b) => b.toString(16).padStart(2, "0")).join("");
  return eth.request({ method: "personal_sign", params: [hex, address] });
}

/** EIP-712 typed data signature (the self-custody redemption burn). */
export async function signTypedData(eth, address, typedData) {
  return eth.request({ method: "eth_signTypedData_v4", params: [address, JSON.stringify(typedData)] });
}

/** ERC-20 balanceOf(address) read straight from the node's JSON-RPC. */
export async function balanceOf(rpcUrl, contract, holder) {
  const data = "0x70a08231" + holder.toLowerCase().replace(/^0x/, "").padStart(64, "0");
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to: contract, data }, "latest"] }),
  });
  const json = await response.json();
  if (json.error) throw new Error(json.error.message || "eth_call failed");
  return BigInt(json.result).toString();
}
