// A sunset walked through the HTTP API of a running system (./scripts/run.sh); see scripts/sunset-demo.sh.
// Only 127.0.0.1 is contacted. The chain is read directly (ethers) wherever a claim about it is made.
import fs from "node:fs";
import { execFileSync } from "node:child_process";
import { ethers } from "ethers";

const env = Object.fromEntries(fs.readFileSync(".run/env", "utf8").trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
const api = env.LC_API_URL;
const rootKey = fs.readFileSync(env.LC_ROOT_KEY_FILE, "utf8").trim();
const provider = new ethers.JsonRpcProvider(env.LC_RPC_URL, undefined, { staticNetwork: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const run = Date.now().toString(36);
const log = (...a) => console.log("  ", ...a);

async function request(method, path, key, body, idempotencyKey, bearer) {
  const headers = { "content-type": "application/json" };
  if (key) headers["x-api-key"] = key;
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
  const res = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return res;
}
async function call(method, path, key, body, idempotencyKey, bearer) {
  const res = await request(method, path, key, body, idempotencyKey, bearer);
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
async function until(what, check, seconds = 120) {
  for (let i = 0; i < seconds * 4; i++) {
    const value = await check();
    if (value) return value;
    await sleep(250);
  }
  throw new Error("timed out waiting for " + what);
}

console.log("1. a program with members, points on chain and a collectible");
const created = await call("POST", "/v1/programs", rootKey, {
  name: "Sunset Coffee " + run, pointName: "Beans", pointSymbol: "BEAN", decimals: 0, currency: "EUR", pendingPeriodSeconds: 0, timeZone: "UTC",
}, "sunset-program-" + run);
const key = created.adminKey;
const p = `/v1/programs/${created.program.id}`;
const program = await until("program to become active", async () => {
  const x = await call("GET", p, key);
  if (x.status === "Failed") throw new Error("program failed: " + x.statusDetail);
  return x.status === "Active" ? x : null;
});
const points = new ethers.Contract(program.pointsContract, ["function balanceOf(address) view returns (uint256)",
  "function hasRole(bytes32,address) view returns (bool)"], provider);
const collectible = new ethers.Contract(program.collectibleContract, ["function tokenURI(uint256) view returns (string)",
  "function hasRole(bytes32,address) view returns (bool)"], provider);
await call("POST", `${p}/rules`, key, { name: "visit", trigger: "visit", effect: { kind: "Fixed", points: 100 } });
const members = [];
for (let i = 0; i < 4; i++) {
  const m = await call("POST", `${p}/members`, key, { externalId: `sun-${i}` });
  members.push(m);
  await call("POST", `${p}/events`, key, { type: "visit", memberId: m.memberId, eventId: `visit-${i}` });
}
await call("POST", `${p}/settlement/run`, key);
await until("points on chain", async () => (await Promise.all(members.map((m) => points.balanceOf(m.walletAddress)))).every((b) => b === 100n));
const drop = await call("POST", `${p}/drops`, key, { name: "Last roast", description: "The farewell collectible", maxSupply: 10, audience: { kind: "Explicit" } });
await call("POST", `${p}/drops/${drop.id}/publish`, key);
await until("the drop on chain", async () => (await call("GET", `${p}/drops/${drop.id}`, key)).status === "Published");
await call("POST", `${p}/drops/${drop.id}/airdrop`, key, { memberIds: [members[0].memberId] });
await until("the collectible minted", async () => (await call("GET", `${p}/drops/${drop.id}`, key)).minted === 1);
log(`program #${program.id}: ${members.length} members with 100 points each on chain, drop #${drop.id} minted`);

console.log("2. the sunset: earning stops at once");
const endsAt = new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10) + "T00:00:00Z";
const sunset = await call("POST", `${p}/sunset`, key, { endsAt }, "sunset-" + run);
const refused = await request("POST", `${p}/events`, key, { type: "visit", memberId: members[0].memberId, eventId: "after-sunset" });
const refusedCode = (await refused.json()).code;
const earningRefused = refused.status === 409 && refusedCode === "PROGRAM_SUNSETTING";
log(`status ${sunset.status} until ${sunset.endsAt}; an event now: ${refused.status} ${refusedCode}`);

console.log("3. members withdraw to their own wallets (the operator pays the gas)");
let withdrawnMembers = 0;
for (const m of members.slice(0, 2)) {
  const wallet = ethers.Wallet.createRandom();
  const challenge = await call("POST", `${p}/members/${m.memberId}/wallet/challenge`, key, { address: wallet.address });
  await call("POST", `${p}/members/${m.memberId}/wallet/link`, key, { message: challenge.message, signature: await wallet.signMessage(challenge.message) });
  const token = (await call("POST", `${p}/members/${m.memberId}/tokens`, key)).token;
  await call("POST", `${p}/members/${m.memberId}/withdrawals`, null, undefined, undefined, token);
  await until(`${m.memberId}'s withdrawal`, async () => (await points.balanceOf(wallet.address)) === 100n);
  if ((await provider.getBalance(wallet.address)) === 0n) withdrawnMembers++;
  log(`${m.memberId} -> ${wallet.address}: 100 points, no gas of their own`);
}

console.log("4. the end: redemption closes and the final snapshot is taken");
const head = await provider.getBlockNumber();
await until("a few more blocks", async () => (await provider.getBlockNumber()) >= head + 3);
const ended = await call("POST", `${p}/sunset/snapshot`, key, undefined, "snapshot-" + run);
log(`block ${ended.snapshot.block}: points root ${ended.snapshot.pointsRoot} over ${ended.snapshot.pointsLeafCount} holders, ` +
  `${ended.snapshot.collectiblesLeafCount} collectibles`);
let verification = { snapshot_root_verified: false };
try {
  const out = execFileSync(process.execPath, ["scripts/verify-snapshot.mjs", "--api", api, "--program", String(program.id), "--rpc", env.LC_RPC_URL],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  verification = JSON.parse(out.trim().split("\n").pop());
} catch (e) {
  log("verify-snapshot.mjs failed: " + (e.stdout ?? e.message));
}
log(`verify-snapshot.mjs: root verified ${verification.snapshot_root_verified}, ${verification.leaves} leaves, ${verification.holders_checked} holders checked`);

console.log("5. collectibles outlive the service: metadata export and the drop re-pointed on chain");
const exportRes = await request("POST", `${p}/sunset/metadata-export`, key, { hostUrl: "https://new.host/sunset-coffee/" });
const zip = Buffer.from(await exportRes.arrayBuffer());
const zipFile = `.run/program-${program.id}-metadata.zip`;
fs.writeFileSync(zipFile, zip);
const metadataExported = exportRes.status === 200 && zip.length > 0 && zip.subarray(0, 2).toString() === "PK";
const snapshot = await call("GET", `/v1/public/programs/${program.id}/sunset/snapshot`);
const tokenId = BigInt(snapshot.collectibles.leaves[0].tokenId);
const baseUri = `https://new.host/sunset-coffee/${drop.id}/`;
await call("POST", `${p}/drops/${drop.id}/base-uri`, key, { baseUri }, "rehost-" + run);
const repointed = await until("tokenURI on chain", async () => (await collectible.tokenURI(tokenId)) === baseUri + tokenId);
log(`${zip.length} bytes in ${zipFile}; tokenURI(${tokenId}) = ${baseUri + tokenId}`);

console.log("6. the contracts handed over to the brand");
const DEFAULT_ADMIN = ethers.ZeroHash;
const newAdmin = ethers.Wallet.createRandom().address;
const operator = (await call("GET", "/v1/admin/operator", rootKey)).address;
const candidates = [...new Set([operator, program.operatorAddress].map((a) => ethers.getAddress(a)))];
const serviceAdmins = [];
for (const a of candidates) if (await points.hasRole(DEFAULT_ADMIN, a) || await collectible.hasRole(DEFAULT_ADMIN, a)) serviceAdmins.push(a);
let ownershipHandedOver = false;
const handover = await request("POST", `${p}/ownership`, key, { newAdmin }, "ownership-" + run);
if (handover.status === 404 || handover.status === 405) {
  log(`POST ${p}/ownership is not on this build (${handover.status}): ownership_handed_over false`);
} else if (handover.status >= 400) {
  log(`POST ${p}/ownership refused: ${handover.status} ${await handover.text()}`);
} else {
  const check = async () => {
    for (const c of [points, collectible]) {
      if (!(await c.hasRole(DEFAULT_ADMIN, newAdmin))) return false;
      for (const a of serviceAdmins) if (await c.hasRole(DEFAULT_ADMIN, a)) return false;
    }
    return true;
  };
  try { ownershipHandedOver = await until("the handover on chain", check, 120); } catch { ownershipHandedOver = false; }
  log(`DEFAULT_ADMIN_ROLE on both contracts: ${newAdmin} ${ownershipHandedOver ? "holds it, the service no longer does" : "NOT handed over"}`);
}

console.log(JSON.stringify({
  program_id: program.id, earning_refused: earningRefused, withdrawn_members: withdrawnMembers,
  snapshot_block: ended.snapshot.block, snapshot_root: ended.snapshot.pointsRoot, snapshot_leaves: ended.snapshot.pointsLeafCount,
  snapshot_root_verified: verification.snapshot_root_verified === true, metadata_exported: metadataExported, token_uri_repointed: !!repointed,
  ownership_handed_over: ownershipHandedOver,
}));
