#!/usr/bin/env node
// Independent check of a program's final sunset snapshot, trusting nothing but the node:
//   node scripts/verify-snapshot.mjs --api http://127.0.0.1:5080 --program 1 --rpc http://127.0.0.1:8545 [--from-block N]
// 1. fetches GET /v1/public/programs/{id} and GET /v1/public/programs/{id}/sunset/snapshot (no key needed);
// 2. recomputes both Merkle roots itself (OpenZeppelin StandardMerkleTree: leaf = keccak256(bytes.concat(keccak256(
//    abi.encode(address,uint256)))) for points and abi.encode(uint256,address) for collectibles, leaves sorted by hash,
//    pairs hashed in ascending order) and compares them with the published ones;
// 3. reads balanceOf(address, {blockTag: block}) and ownerOf(tokenId, {blockTag: block}) for every leaf from the node;
// 4. scans the contracts' Transfer logs up to the block for holders the snapshot left out.
// Exits 1 on any mismatch. The last line printed is one JSON object with the result.
import { AbiCoder, Contract, JsonRpcProvider, concat, getAddress, getBytes, keccak256, id as topicOf } from "ethers";

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith("--") ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
for (const need of ["api", "program", "rpc"]) if (!args[need]) { console.error(`missing --${need}`); process.exit(2); }
const api = args.api.replace(/\/$/, "");
const coder = AbiCoder.defaultAbiCoder();

async function get(path) {
  const res = await fetch(api + path);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

const leafHash = (types, values) => keccak256(concat([keccak256(coder.encode(types, values))]));
const hashPair = (a, b) => keccak256(Buffer.compare(getBytes(a), getBytes(b)) <= 0 ? concat([a, b]) : concat([b, a]));
function standardRoot(hashes) {
  if (hashes.length === 0) return null;
  const sorted = [...hashes].sort((a, b) => Buffer.compare(getBytes(a), getBytes(b)));
  const tree = new Array(2 * sorted.length - 1);
  sorted.forEach((h, i) => { tree[tree.length - 1 - i] = h; });
  for (let i = tree.length - 1 - sorted.length; i >= 0; i--) tree[i] = hashPair(tree[2 * i + 1], tree[2 * i + 2]);
  return tree[0];
}

const mismatches = [];
const fail = (what) => { mismatches.push(what); console.error("MISMATCH " + what); };
const program = await get(`/v1/public/programs/${args.program}`);
const snap = await get(`/v1/public/programs/${args.program}/sunset/snapshot`);
const published = program.sunset?.snapshot;
if (!published) fail("the program's public view publishes no snapshot");
const provider = new JsonRpcProvider(args.rpc, undefined, { staticNetwork: true, batchMaxCount: 1 });
const net = await provider.getNetwork();
if (BigInt(snap.chainId) !== net.chainId) fail(`chainId ${snap.chainId} != node ${net.chainId}`);
const block = Number(snap.block);
const header = await provider.getBlock(block);
if (!header || header.hash.toLowerCase() !== snap.blockHash.toLowerCase()) fail(`block ${block} hash ${header?.hash} != snapshot ${snap.blockHash}`);

// Roots, recomputed here.
const pointsRoot = standardRoot(snap.points.leaves.map((l) => leafHash(["address", "uint256"], [getAddress(l.address), BigInt(l.balance)])));
const collectiblesRoot = standardRoot(snap.collectibles.leaves.map((l) => leafHash(["uint256", "address"], [BigInt(l.tokenId), getAddress(l.owner)])));
if (pointsRoot !== snap.points.root) fail(`points root recomputed ${pointsRoot} != snapshot ${snap.points.root}`);
if (collectiblesRoot !== snap.collectibles.root) fail(`collectibles root recomputed ${collectiblesRoot} != snapshot ${snap.collectibles.root}`);
if (published) {
  if (published.pointsRoot !== pointsRoot) fail(`published points root ${published.pointsRoot} != recomputed ${pointsRoot}`);
  if (Number(published.block) !== block) fail(`published block ${published.block} != snapshot ${block}`);
  if (published.pointsLeafCount !== snap.points.leaves.length) fail(`published leaf count ${published.pointsLeafCount} != ${snap.points.leaves.length}`);
  if (published.collectiblesRoot !== collectiblesRoot) fail(`published collectibles root ${published.collectiblesRoot} != recomputed ${collectiblesRoot}`);
}

// Every leaf against the node at the snapshot block.
const points = new Contract(snap.pointsContract, ["function balanceOf(address) view returns (uint256)"], provider);
for (const l of snap.points.leaves) {
  const onChain = await points.balanceOf(l.address, { blockTag: block });
  if (onChain !== BigInt(l.balance)) fail(`balanceOf(${l.address}) at ${block} = ${onChain}, snapshot says ${l.balance}`);
}
const collectible = snap.collectibleContract ? new Contract(snap.collectibleContract, ["function ownerOf(uint256) view returns (address)"], provider) : null;
for (const l of snap.collectibles.leaves) {
  const owner = await collectible.ownerOf(BigInt(l.tokenId), { blockTag: block });
  if (owner.toLowerCase() !== l.owner.toLowerCase()) fail(`ownerOf(${l.tokenId}) at ${block} = ${owner}, snapshot says ${l.owner}`);
}

// Completeness: nobody who held points at the block is missing from the snapshot.
const transfer = topicOf("Transfer(address,address,uint256)");
const fromBlock = Number(args["from-block"] ?? 0);
const seen = new Set();
for (let start = fromBlock; start <= block; start += 10_000) {
  const logs = await provider.getLogs({ address: snap.pointsContract, topics: [transfer], fromBlock: start, toBlock: Math.min(block, start + 9_999) });
  for (const log of logs) for (const t of [log.topics[1], log.topics[2]]) seen.add(getAddress("0x" + t.slice(26)));
}
seen.delete("0x0000000000000000000000000000000000000000");
const inSnapshot = new Set(snap.points.leaves.map((l) => getAddress(l.address)));
let holdersChecked = 0;
for (const holder of seen) {
  holdersChecked++;
  if (inSnapshot.has(holder)) continue;
  const balance = await points.balanceOf(holder, { blockTag: block });
  if (balance !== 0n) fail(`${holder} held ${balance} at ${block} but is not in the snapshot`);
}

console.log(JSON.stringify({
  snapshot_root_verified: mismatches.length === 0, programId: Number(args.program), block, points_root: pointsRoot,
  leaves: snap.points.leaves.length, collectibles: snap.collectibles.leaves.length, collectibles_root: collectiblesRoot,
  holders_checked: holdersChecked, mismatches: mismatches.length,
}));
process.exit(mismatches.length === 0 ? 0 : 1);
